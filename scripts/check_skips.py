#!/usr/bin/env python3
"""Counts the skipped tests of one suite from its JUnit XML report (written by `pytest --junitxml` or
`ctest --output-junit`), lists them with their reasons, and fails when the count exceeds the suite's budget in
tests/skip-budget.txt. Usage: check_skips.py SUITE REPORT.xml"""
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

BUDGET_FILE = Path(__file__).resolve().parents[1] / "tests" / "skip-budget.txt"


def budgets():
    result = {}
    for number, line in enumerate(BUDGET_FILE.read_text().splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) != 2 or not fields[1].isdigit():
            sys.exit(f"{BUDGET_FILE.name}: line {number}: expected 'SUITE COUNT', got '{line}'")
        result[fields[0]] = int(fields[1])
    return result


def skipped_cases(report):
    """(name, reason) of every skipped test case. Both pytest and ctest mark a skipped case with a <skipped>
    child; pytest also reports expected failures (xfail) that way, which count as skips here too."""
    try:
        root = ElementTree.parse(report).getroot()
    except (OSError, ElementTree.ParseError) as error:
        sys.exit(f"{report}: cannot read the JUnit report: {error}")
    cases = []
    for case in root.iter("testcase"):
        skipped = case.find("skipped")
        if skipped is not None:
            classname, name = case.get("classname"), case.get("name")
            name = name if classname in (None, "", name) else f"{classname}::{name}"
            cases.append((name, skipped.get("message") or (skipped.text or "").strip()))
    return cases


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: check_skips.py SUITE REPORT.xml")
    suite, report = sys.argv[1], sys.argv[2]
    budget = budgets().get(suite)
    if budget is None:
        sys.exit(f"{BUDGET_FILE.name} has no line for the suite '{suite}'")
    cases = skipped_cases(report)
    print(f"skipped in {suite}: {len(cases)} (budget {budget})")
    for name, reason in cases:
        print(f"  SKIPPED {name}: {reason}")
    if len(cases) > budget:
        sys.exit(f"error: {suite} skipped {len(cases)} tests, over its budget of {budget} in "
                 f"tests/{BUDGET_FILE.name}: a skip is allowed only for a missing optional tool (docs/testing.md)")


if __name__ == "__main__":
    main()
