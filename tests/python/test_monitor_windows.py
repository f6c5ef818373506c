"""Monitor windows and cron schedules (docs/monitoring-time.md) against Python's zoneinfo and datetime.

The windows are recomputed here from their definition (the longest run of instants whose local wall times lie in
one local window) with zoneinfo for the offsets and datetime for the calendar; the cron fire times with a small
Quartz cron reader written from Quartz's documented rules. Neither uses driftgov's output. The C++ side is reached
through the windows_probe tool: one JSON request per line in, one JSON result per line out.
"""
import bisect
import calendar
import datetime as dt
import functools
import json
import random
import subprocess
from zoneinfo import ZoneInfo

import pytest

from conftest import tool_binary

UTC = dt.timezone.utc
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_NAIVE = dt.datetime(1970, 1, 1)
MICROS = 1_000_000
HOUR = 3600 * MICROS
DAY = 24 * HOUR
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"]
GRANULARITIES = ["5 minutes", "30 minutes", "1 hour", "1 day", "1 week", "2 weeks", "3 weeks", "4 weeks", "1 month",
                 "1 year"]
FIRST_YEAR, LAST_YEAR = 1900, 2101  # beyond 2037 the system tzdata lists no transitions: the zone's rule applies


class Probe:
    def __init__(self, path):
        self.process = subprocess.Popen([str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def __call__(self, op, **fields):
        self.process.stdin.write(json.dumps({"op": op, **fields}) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def probe():
    path = tool_binary("windows_probe")
    if not path.exists():
        pytest.fail(f"{path} is not built")
    instance = Probe(path)
    yield instance
    instance.close()


def call(probe, op, **fields):
    response = probe(op, **fields)
    assert "error" not in response, response
    return response


# --- zoneinfo side ---------------------------------------------------------------------------------------------

def zone_of(name):
    return UTC if name == "UTC" else ZoneInfo(name)


def local_of(instant, zone):
    """Local wall-clock microseconds since the local 1970-01-01T00:00 of an instant."""
    local = (EPOCH + dt.timedelta(microseconds=instant)).astimezone(zone).replace(tzinfo=None)
    return (local - EPOCH_NAIVE) // dt.timedelta(microseconds=1)


def offset_at_second(second, zone):
    return (EPOCH + dt.timedelta(seconds=second)).astimezone(zone).utcoffset()


@functools.lru_cache(maxsize=None)
def transitions(name):
    """The instants (microseconds) where the zone's offset changes, FIRST_YEAR-1 .. LAST_YEAR+1: a daily scan of
    zoneinfo's offsets, each change narrowed to the second by bisection."""
    zone = zone_of(name)
    if zone is UTC:
        return []
    start = int((dt.datetime(FIRST_YEAR - 1, 1, 1, tzinfo=UTC) - EPOCH).total_seconds())
    stop = int((dt.datetime(LAST_YEAR + 2, 1, 1, tzinfo=UTC) - EPOCH).total_seconds())
    found = []
    step = 86400 // 4
    previous = offset_at_second(start, zone)
    for second in range(start + step, stop, step):
        offset = offset_at_second(second, zone)
        if offset != previous:
            low, high = second - step, second  # offset(low) == previous, offset(high) != previous
            while high - low > 1:
                middle = (low + high) // 2
                if offset_at_second(middle, zone) == previous:
                    low = middle
                else:
                    high = middle
            found.append(high * MICROS)
            previous = offset
    return found


def local_window(local, granularity):
    """The local window [start, end) (local microseconds) holding a local time: plain calendar arithmetic."""
    count, unit = granularity.split()
    count = int(count)
    moment = EPOCH_NAIVE + dt.timedelta(microseconds=local)
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit.startswith("minute"):
        minutes = (moment - midnight) // dt.timedelta(minutes=count) * count
        start = midnight + dt.timedelta(minutes=minutes)
        end = start + dt.timedelta(minutes=count)
    elif unit.startswith("hour"):
        start = moment.replace(minute=0, second=0, microsecond=0)
        end = start + dt.timedelta(hours=1)
    elif unit.startswith("day"):
        start, end = midnight, midnight + dt.timedelta(days=1)
    elif unit.startswith("week"):
        first_monday = dt.datetime(1970, 1, 5)
        runs = (midnight - first_monday).days // (7 * count)
        start = first_monday + dt.timedelta(days=7 * count * runs)
        end = start + dt.timedelta(days=7 * count)
    elif unit.startswith("month"):
        start = midnight.replace(day=1)
        end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    else:
        start = midnight.replace(month=1, day=1)
        end = start.replace(year=start.year + 1)
    to_micros = lambda value: (value - EPOCH_NAIVE) // dt.timedelta(microseconds=1)
    return to_micros(start), to_micros(end)


def window_reach(granularity):
    count, unit = granularity.split()
    length = {"minute": 60 * MICROS, "hour": HOUR, "day": DAY, "week": 7 * DAY, "month": 31 * DAY,
              "year": 366 * DAY}[unit.rstrip("s")] * int(count)
    return 2 * length + 3 * HOUR


def oracle_window(instant, granularity, name):
    """[start, end): the nearest instants around `instant` where the local window of the wall time changes. Such an
    instant is an offset change or, between changes, an instant whose wall time is a window bound; every candidate
    is kept only if the local window really differs one microsecond earlier."""
    zone = zone_of(name)
    reach = window_reach(granularity)
    low, high = instant - reach, instant + reach
    changes = transitions(name)
    inside = changes[bisect.bisect_left(changes, low):bisect.bisect_right(changes, high)]
    segments = list(zip([low] + inside, inside + [high]))
    candidates = set(inside)
    for begin, end in segments:
        offset = local_of(begin, zone) - begin
        bound = local_window(begin + offset, granularity)[0]
        while bound - offset < end:
            if bound - offset >= begin:
                candidates.add(bound - offset)
            bound = local_window(bound, granularity)[1]
    window_of_local = lambda moment: local_window(local_of(moment, zone), granularity)
    boundaries = sorted(c for c in candidates if window_of_local(c) != window_of_local(c - 1))
    start = max(b for b in boundaries if b <= instant)
    end = min(b for b in boundaries if b > instant)
    return [start, end]


def random_instants(name, count, rng):
    """Half uniform over FIRST_YEAR..LAST_YEAR, half within a few hours of an offset change."""
    low = int((dt.datetime(FIRST_YEAR, 1, 1, tzinfo=UTC) - EPOCH).total_seconds()) * MICROS
    high = int((dt.datetime(LAST_YEAR, 12, 1, tzinfo=UTC) - EPOCH).total_seconds()) * MICROS
    changes = [c for c in transitions(name) if low + 400 * DAY < c < high - 400 * DAY]
    instants = []
    for i in range(count):
        if i % 2 and changes:
            instant = rng.choice(changes) + rng.randint(-3 * HOUR, 3 * HOUR)
            instants.append(instant - instant % rng.choice([1, MICROS, 60 * MICROS]))
        else:
            instants.append(rng.randint(low, high))
    return instants + [0, -1, changes[0] if changes else 1, changes[0] - 1 if changes else -DAY]


def test_transitions_cover_both_sides_of_2037():
    """The random instants reach the years after the tzdata's listed transitions, where the zone's rule applies."""
    berlin = transitions("Europe/Berlin")
    assert any(c > (dt.datetime(2050, 1, 1, tzinfo=UTC) - EPOCH) // dt.timedelta(microseconds=1) for c in berlin)
    assert any(c < 0 for c in transitions("America/New_York"))


@pytest.mark.parametrize("name", ZONES)
def test_local_time_matches_zoneinfo(probe, name):
    rng = random.Random(f"local {name}")
    instants = random_instants(name, 400, rng)
    result = call(probe, "local", zone=name, instants=instants)
    assert result["local"] == [local_of(i, zone_of(name)) for i in instants]


@pytest.mark.parametrize("name", ZONES)
@pytest.mark.parametrize("granularity", GRANULARITIES)
def test_windows_match_zoneinfo(probe, name, granularity):
    rng = random.Random(f"{name} {granularity}")
    instants = random_instants(name, 60 if granularity in ("1 month", "1 year") else 120, rng)
    result = call(probe, "window", zone=name, granularity=granularity, instants=instants)
    assert result["granularity"] == granularity
    for instant, window, previous, following in zip(instants, result["windows"], result["previous"], result["next"]):
        expected = oracle_window(instant, granularity, name)
        what = f"{name} {granularity} at {EPOCH + dt.timedelta(microseconds=instant)}"
        assert window == expected, what
        assert previous == oracle_window(expected[0] - 1, granularity, name), what
        assert following == oracle_window(expected[1], granularity, name), what


@pytest.mark.parametrize("name", ZONES)
def test_windows_across_the_end_of_the_listed_transitions(probe, name):
    """The tzdata lists transitions through 2037; later years are derived year by year from March 1 (UTC). Windows
    holding those seams match zoneinfo, which reads the zone's rule."""
    seams = [dt.datetime(year, 3, 1, tzinfo=UTC) for year in (2038, 2039, 2040, 2041, 2100)] + \
            [dt.datetime(2038, 1, 1, tzinfo=UTC), dt.datetime(2037, 12, 31, 23, tzinfo=UTC)]
    instants = [(seam - EPOCH) // dt.timedelta(microseconds=1) + delta for seam in seams
                for delta in (-HOUR - 1, -1, 0, 1, HOUR, 13 * HOUR)]
    for granularity in GRANULARITIES:
        result = call(probe, "window", zone=name, granularity=granularity, instants=instants)
        for instant, window in zip(instants, result["windows"]):
            assert window == oracle_window(instant, granularity, name), f"{name} {granularity} at {instant}"


@pytest.mark.parametrize("name, day, hours", [
    ("Europe/Berlin", dt.date(2024, 3, 31), 23), ("Europe/Berlin", dt.date(2024, 10, 27), 25),
    ("America/New_York", dt.date(2024, 3, 10), 23), ("America/New_York", dt.date(2024, 11, 3), 25),
    ("Australia/Lord_Howe", dt.date(2024, 10, 6), 23.5), ("Australia/Lord_Howe", dt.date(2024, 4, 7), 24.5),
    ("Asia/Kathmandu", dt.date(1986, 1, 1), 23.75), ("America/New_York", dt.date(2050, 3, 13), 23),
    ("Europe/Berlin", dt.date(1949, 4, 10), 23),
])
def test_day_windows_on_clock_changes(probe, name, day, hours):
    """Day windows last as long as the wall clock says (DST days, Lord Howe's half hour, Kathmandu's 1986 move)."""
    zone = ZoneInfo(name)
    noon = dt.datetime(day.year, day.month, day.day, 12, tzinfo=zone)
    instant = (noon.astimezone(UTC) - EPOCH) // dt.timedelta(microseconds=1)
    (start, end), = call(probe, "window", zone=name, granularity="1 day", instants=[instant])["windows"]
    assert (end - start) / HOUR == hours


@pytest.mark.parametrize("name", ZONES)
def test_to_instant_matches_zoneinfo(probe, name):
    """Wall times back to instants: the earlier instant of a repeated wall time, the end of a gap for a missing one."""
    zone = zone_of(name)
    rng = random.Random(f"to_instant {name}")
    locals_ = [local_of(i, zone) - i % (2 * HOUR) for i in random_instants(name, 300, rng)]
    result = call(probe, "to_instant", zone=name, locals=locals_)
    assert result["instants"] == [wall_to_instant(EPOCH_NAIVE + dt.timedelta(microseconds=local), zone)
                                  for local in locals_]


# --- a Quartz cron reader from the documented rules ------------------------------------------------------------

MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
WEEKDAYS = "SUN MON TUE WED THU FRI SAT".split()
RANGES = [(0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (1, 7), (1970, 2199)]


def cron_values(text, index):
    """The set of values of a field made of '*', a, a-b (wrapping past the top), steps and lists."""
    low, high = RANGES[index]
    names = MONTHS if index == 4 else WEEKDAYS if index == 5 else []
    number = lambda token: names.index(token) + 1 if token in names else int(token)
    values = set()
    for item in text.split(","):
        part, _, step = item.partition("/")
        step = int(step) if step else 1
        if part == "*":
            first, last = low, high
        elif "-" in part:
            first, last = map(number, part.split("-"))
        else:
            first = number(part)
            last = high if _ else first
        size = high - low + 1
        ordered = list(range(first, last + 1)) if first <= last else \
            list(range(first, high + 1)) + list(range(low, last + 1))
        values.update(ordered[::step])
        assert size >= len(ordered)
    return values


def quartz_weekday(day):  # 1 = Sunday .. 7 = Saturday
    return day.isoweekday() % 7 + 1


def day_rule(day_of_month, day_of_week):
    """A predicate on dates: the day fields of a Quartz expression."""
    if day_of_month != "?":
        if day_of_month == "L" or day_of_month.startswith("L-"):
            back = int(day_of_month[2:] or 0)
            return lambda d: d.day == calendar.monthrange(d.year, d.month)[1] - back
        if day_of_month == "LW":
            def last_weekday(d):
                last = dt.date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])
                while last.weekday() >= 5:
                    last -= dt.timedelta(days=1)
                return d == last
            return last_weekday
        if day_of_month.endswith("W"):
            wanted = int(day_of_month[:-1])

            def nearest_weekday(d):
                last = calendar.monthrange(d.year, d.month)[1]
                if wanted > last:
                    return False
                target = dt.date(d.year, d.month, wanted)
                if target.weekday() == 5:  # Saturday: the Friday before, or Monday when that leaves the month
                    target += dt.timedelta(days=-1 if wanted > 1 else 2)
                elif target.weekday() == 6:  # Sunday: the Monday after, or Friday when that leaves the month
                    target += dt.timedelta(days=1 if wanted < last else -2)
                return d == target
            return nearest_weekday
        days = cron_values(day_of_month, 3)
        return lambda d: d.day in days
    if "#" in day_of_week:
        weekday, nth = day_of_week.split("#")
        weekday = WEEKDAYS.index(weekday) + 1 if weekday in WEEKDAYS else int(weekday)
        return lambda d: quartz_weekday(d) == weekday and (d.day - 1) // 7 + 1 == int(nth)
    if day_of_week.endswith("L") and day_of_week != "L":
        weekday = day_of_week[:-1]
        weekday = WEEKDAYS.index(weekday) + 1 if weekday in WEEKDAYS else int(weekday)
        return lambda d: quartz_weekday(d) == weekday and d.day + 7 > calendar.monthrange(d.year, d.month)[1]
    days = {7} if day_of_week == "L" else cron_values(day_of_week, 5)
    return lambda d: quartz_weekday(d) in days


def wall_to_instant(wall, zone):
    """A wall time of `zone` as an instant: the earlier one when it occurs twice, and when the clock skips it the
    first instant after the skip (found by bisection on whole seconds)."""
    options = sorted((wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)))
    real = [o for o in options if o.astimezone(zone).replace(tzinfo=None) == wall]
    if real:
        return (real[0] - EPOCH) // dt.timedelta(microseconds=1)
    low, high = (int((o - EPOCH).total_seconds()) for o in options)
    while high - low > 1:
        middle = (low + high) // 2
        if (EPOCH + dt.timedelta(seconds=middle)).astimezone(zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return high * MICROS


def second_pass(wall, zone):
    """The later instant of a wall time the clock shows twice, else None."""
    instants = {wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)}
    real = sorted(i for i in instants if i.astimezone(zone).replace(tzinfo=None) == wall)
    return (real[1] - EPOCH) // dt.timedelta(microseconds=1) if len(real) == 2 else None


def oracle_next_fire(expression, instant, name):
    """The first fire after `instant`: matching wall times at their first (or only) instant, a skipped one when the
    clock jumps; an interval expression ('*', '-' or '/' in seconds, minutes or hours) also at the second pass of a
    repeated wall time."""
    fields = expression.upper().split()
    interval = any(c in field for field in fields[:3] for c in "*-/")
    seconds, minutes, hours = (sorted(cron_values(fields[i], i)) for i in range(3))
    months = cron_values(fields[4], 4)
    years = cron_values(fields[6], 6) if len(fields) == 7 else None
    matches_day = day_rule(fields[3], fields[5])
    zone = zone_of(name)
    times = [(h, m, s) for h in hours for m in minutes for s in seconds]
    day = (EPOCH + dt.timedelta(microseconds=instant)).astimezone(zone).date() - dt.timedelta(days=2)
    found = []
    while len(found) < 2 and day.year <= 2199:
        if years is not None and day.year not in years:
            day = dt.date(day.year + 1, 1, 1)
            continue
        if day.month not in months:
            day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
            continue
        if matches_day(day):
            fire = lambda t: wall_to_instant(dt.datetime(day.year, day.month, day.day, *t), zone)
            # Within a day the wall-to-instant mapping never runs backwards: bisect for the first fire after.
            low, high = 0, len(times)
            while low < high:
                middle = (low + high) // 2
                if fire(times[middle]) > instant:
                    high = middle
                else:
                    low = middle + 1
            if low < len(times):
                found.append(fire(times[low]))
            midnight = dt.datetime(day.year, day.month, day.day)
            offsets = [(midnight + dt.timedelta(hours=h)).replace(tzinfo=zone).utcoffset() for h in (-2, 26)]
            if interval and offsets[0] > offsets[1]:  # the clock goes back this day: look at every time
                later = [p for p in (second_pass(midnight.replace(hour=h, minute=m, second=s_), zone)
                                     for h, m, s_ in times) if p is not None and p > instant]
                if later:
                    found.append(min(later))
        day += dt.timedelta(days=1)
    return min(found) if found else None


CRON_EXPRESSIONS = [
    "0 0 12 * * ?", "0 15 10 ? * *", "0 0/5 14 * * ?", "0 0/5 14,18 * * ?", "0 0-5 14 * * ?",
    "0 10,44 14 ? 3 WED", "0 15 10 ? * MON-FRI", "0 15 10 15 * ?", "0 15 10 L * ?", "0 15 10 L-2 * ?",
    "0 15 10 ? * 6L", "0 15 10 ? * 6#3", "0 0 12 1/5 * ?", "0 11 11 11 11 ?", "0 30 2 * * ?",
    "0 0/30 1-3 * * ?", "30 45 1,2 ? * SUN", "0 0 0 LW * ?", "0 0 9 15W * ?", "0 0 9 1W * ?", "0 0 9 31W * ?",
    "*/20 * 2 * * ?", "0 0 22-2 ? * FRI-MON", "0 0 12 ? JAN,JUL 2#1 2027-2030", "0 0 0 29 2 ? 2028/4",
    "0 */7 * * * ?", "0 0 0 ? * L", "0 0 3 ? * 1#5", "15,45 */15 2,3 ? * sat-sun", "0 59 23 L * ?",
    "0 0 0 1 1 ? 2031", "0 0 6 ? NOV-FEB 1L", "0 30 * * * ?", "0 0,40 1,2,3 * * ?", "0 15-45/15 1,2 * * ?",
]


@pytest.mark.parametrize("name", ZONES)
@pytest.mark.parametrize("expression", CRON_EXPRESSIONS)
def test_cron_next_fire_matches_oracle(probe, name, expression):
    rng = random.Random(f"{name} {expression}")
    instants = random_instants(name, 40, rng)
    fires = call(probe, "cron", zone=name, expression=expression, instants=instants)["fires"]
    for instant, fire in zip(instants, fires):
        expected = oracle_next_fire(expression, instant, name)
        assert fire == expected, f"{expression} in {name} after {EPOCH + dt.timedelta(microseconds=instant)}"


@pytest.mark.parametrize("expression, found", [
    ("0 0 12 * *", "found 5 fields"),
    ("0 0 12 * * * ?", "field 7 (year): expected '*', values, ranges, steps or lists ('?' is allowed only in"),
    ("0 0 12 ? * ?", "field 4 (day-of-month)"),
    ("0 0 12 * * MON", "field 6 (day-of-week): expected '?' when day-of-month is given"),
    ("60 0 12 * * ?", "field 1 (seconds): expected a value 0..59, found '60'"),
    ("0 0 24 * * ?", "field 3 (hours): expected a value 0..23, found '24'"),
    ("0 0 12 * 13 ?", "field 5 (month): expected a value 1..12 or JAN..DEC, found '13'"),
    ("0 0 12 ? * 6#6", "field 6 (day-of-week)"),
    ("0 0 12 L,5 * ?", "field 4 (day-of-month)"),
    ("0 0 12 * * ? 1969", "field 7 (year): expected a value 1970..2199, found '1969'"),
    ("0 0/0 12 * * ?", "field 2 (minutes): expected a step n in 1..60 after '/'"),
    ("0 0 12 ? FOO *", "field 5 (month): expected a value 1..12 or JAN..DEC, found 'FOO'"),
])
def test_cron_errors_name_the_field(probe, expression, found):
    response = probe("parse_cron", expression=expression)
    assert "error" in response, response
    assert response["error"].startswith("expression: ") and found in response["error"], response["error"]


def test_unknown_zone_suggests_a_close_name(probe):
    response = probe("local", zone="europe/berlin", instants=[0])
    assert response["error"] == "zone: unknown time zone 'europe/berlin' (did you mean 'Europe/Berlin'?)"
