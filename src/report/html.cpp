// report.html: one self-contained file (docs/report.md). Inline SVG from chart.hpp, inline CSS, and a little
// vanilla JavaScript for sorting, filtering and the drill-down; a Content-Security-Policy forbids every request.
#include <fmt/format.h>

#include <array>
#include <cmath>
#include <iterator>
#include <map>

#include "driftgov/report/report.hpp"
#include "report/feature_charts.hpp"

namespace driftgov::report {
namespace {

constexpr const char* kStyle = R"css(
:root{--none:#009E73;--moderate:#E69F00;--high:#D55E00;--unknown:#BBBBBB;--ink:#222;--muted:#555}
*{box-sizing:border-box}
body{font-family:"DejaVu Sans",system-ui,sans-serif;color:var(--ink);margin:0;line-height:1.45}
header,main,footer{max-width:1680px;margin:0 auto;padding:0 24px}
header{padding-top:16px}
nav ul{display:flex;gap:16px;list-style:none;padding:0;flex-wrap:wrap}
nav a{color:#0072B2}
section{margin:24px 0;border-top:1px solid #ddd}
figure{margin:12px 0}
figure svg{max-width:100%;height:auto;display:block}
figcaption{color:var(--muted);font-size:.95em}
table{border-collapse:collapse;margin:8px 0;font-size:.95em}
th,td{padding:4px 10px;border-bottom:1px solid #e4e4e4;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
th button{font:inherit;font-weight:bold;background:none;border:0;padding:0;cursor:pointer;color:inherit}
th[aria-sort=ascending] button::after{content:" ▲"}
th[aria-sort=descending] button::after{content:" ▼"}
.level{display:inline-block;padding:0 8px;border-radius:3px;font-weight:bold}
.level-none{background:var(--none);color:#fff}
.level-moderate{background:var(--moderate);color:#000}
.level-high{background:var(--high);color:#fff}
.level-unknown{background:var(--unknown);color:#000}
.drill{font:inherit;color:#0072B2;background:none;border:0;padding:0;text-decoration:underline;cursor:pointer;text-align:left}
button:focus-visible,a:focus-visible,input:focus-visible,select:focus-visible,[tabindex]:focus-visible{outline:3px solid #0072B2;outline-offset:2px}
.verdict{font-size:1.2em;font-weight:bold}
.empty-state{padding:24px;background:#f6f6f6;border:1px dashed #bbb}
.controls{display:flex;gap:16px;align-items:center;flex-wrap:wrap}
details summary{cursor:pointer}
)css";

// Sorting, filtering and the drill-down. Sort keys: the cell's data-value (numbers) or its text.
constexpr const char* kScript = R"js(
(function(){
"use strict";
var table=document.getElementById("feature-table");
if(!table){return;}
var body=table.tBodies[0];
var headers=table.tHead.rows[0].cells;
function key(row,i,numeric){var c=row.cells[i];var v=c.getAttribute("data-value");
 if(numeric){var n=parseFloat(v===null?c.textContent:v);return isNaN(n)?-Infinity:n;}
 return (v===null?c.textContent:v).toLowerCase();}
Array.prototype.forEach.call(headers,function(th,i){var b=th.querySelector("button");if(!b){return;}
 b.addEventListener("click",function(){
  var descending=th.getAttribute("aria-sort")!=="descending";
  var numeric=th.getAttribute("data-type")==="number";
  var rows=Array.prototype.slice.call(body.rows);
  rows.sort(function(a,b){var x=key(a,i,numeric),y=key(b,i,numeric);var r=x<y?-1:(x>y?1:0);return descending?-r:r;});
  rows.forEach(function(r){body.appendChild(r);});
  Array.prototype.forEach.call(headers,function(h){if(h.querySelector("button")){h.setAttribute("aria-sort","none");}});
  th.setAttribute("aria-sort",descending?"descending":"ascending");
 });});
var text=document.getElementById("feature-filter"),level=document.getElementById("level-filter");
var count=document.getElementById("feature-count");
function filter(){var t=text.value.trim().toLowerCase(),l=level.value,shown=0;
 Array.prototype.forEach.call(body.rows,function(r){
  var ok=(t===""||r.getAttribute("data-feature").toLowerCase().indexOf(t)>=0)&&(l===""||r.getAttribute("data-level")===l);
  r.hidden=!ok;if(ok){shown++;}});
 count.textContent=shown+" of "+body.rows.length+" features shown";}
text.addEventListener("input",filter);level.addEventListener("change",filter);
function show(id){var details=document.querySelectorAll(".detail");var target=null;
 Array.prototype.forEach.call(details,function(d){var on=d.id===id;d.hidden=!on;if(on){target=d;}});
 Array.prototype.forEach.call(document.querySelectorAll(".drill"),function(b){
  b.setAttribute("aria-expanded",b.getAttribute("aria-controls")===id?"true":"false");});
 var hint=document.getElementById("detail-hint");if(hint){hint.hidden=target!==null;}
 if(target){target.focus();}}
Array.prototype.forEach.call(document.querySelectorAll(".drill"),function(b){
 b.addEventListener("click",function(){show(b.getAttribute("aria-controls"));});});
filter();
})();
)js";

std::string number(std::optional<double> value, const char* spec) {
  if (!value || !std::isfinite(*value)) return "-";
  return fmt::format(fmt::runtime(spec), *value);
}

std::string data_value(std::optional<double> value) {
  if (!value || !std::isfinite(*value)) return "";
  return fmt::format(R"( data-value="{:.6g}")", *value);
}

std::string level_badge(Level level) {
  return fmt::format(R"(<span class="level level-{}">{}</span>)", level == Level::kUnknown ? "unknown" : to_string(level),
                     to_string(level));
}

std::string figure(const std::string& svg, const std::string& caption) {
  return fmt::format("<figure>{}<figcaption>{}</figcaption></figure>\n", svg, escape_markup(caption));
}

std::string verdict_cell(const WindowVerdict& verdict) {
  if (!verdict.dataset_drift) return "no verdict";
  return *verdict.dataset_drift ? "<strong>DRIFT</strong>" : "no drift";
}

std::string slice_table(const std::vector<FeatureSummary>& rows, const std::string& caption) {
  std::string out = fmt::format("<table><caption>{}</caption><thead><tr><th scope=\"col\">feature</th>"
                                "<th scope=\"col\">PSI</th><th scope=\"col\">level</th><th scope=\"col\">drift</th>"
                                "</tr></thead><tbody>",
                                escape_markup(caption));
  for (const auto& row : sorted_by_severity(rows)) {
    fmt::format_to(std::back_inserter(out), R"(<tr><th scope="row">{}</th><td class="num">{}</td><td>{}</td><td>{}</td></tr>)",
                   escape_markup(row.feature), number(row.psi, "{:.4f}"), level_badge(row.level),
                   row.drifted ? "DRIFT" : (row.test.empty() ? "-" : "ok"));
  }
  return out + "</tbody></table>\n";
}

}  // namespace

std::string build_html(const ReportData& data) {
  const bool monitor = !data.windows.empty() || data.verdict_text.empty();
  std::string out;
  const auto add = [&](const std::string& text) { out += text; };
  add("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
      "script-src 'unsafe-inline'; img-src data:\">"
      "<link rel=\"icon\" href=\"data:,\">");
  add(fmt::format("<title>{}</title><style>{}</style></head><body>\n", escape_markup(data.title), kStyle));
  add(fmt::format("<header><h1>{}</h1><p>{}</p>", escape_markup(data.title), escape_markup(data.subtitle)));
  const bool empty = !data.empty_reason.empty();
  add("<nav aria-label=\"Sections\"><ul><li><a href=\"#summary\">Summary</a></li>");
  if (!empty) {
    add("<li><a href=\"#features\">Features</a></li>");
    if (monitor) add("<li><a href=\"#trends\">Trends</a></li>");
    add("<li><a href=\"#details\">Feature detail</a></li>");
    if (monitor) add("<li><a href=\"#quality\">Model quality</a></li><li><a href=\"#slices\">Slices</a></li>");
  }
  add("</ul></nav></header>\n<main>\n");

  // Summary.
  add("<section id=\"summary\" aria-labelledby=\"summary-heading\"><h2 id=\"summary-heading\">Summary</h2>\n");
  if (empty) {
    add(fmt::format("<p class=\"empty-state\" role=\"status\">{}</p></section></main></body></html>\n",
                    escape_markup(data.empty_reason)));
    return out;
  }
  if (!monitor) {
    add(fmt::format("<p class=\"verdict\">{}</p>\n", escape_markup(data.verdict_text)));
  } else if (!data.verdicts.empty()) {
    const auto& latest = data.verdicts.back();
    int drifted_windows = 0;
    for (const auto& v : data.verdicts) drifted_windows += v.dataset_drift.value_or(false) ? 1 : 0;
    add(fmt::format("<p class=\"verdict\">Latest window {}: {}{}.</p><p>Dataset drift in {} of {} windows; "
                    "{} breaches in the range.</p>\n",
                    format_window(latest.window), verdict_cell(latest),
                    latest.share_of_drifted_columns
                        ? fmt::format(" (share of drifted columns {:.3f})", *latest.share_of_drifted_columns)
                        : std::string(),
                    drifted_windows, data.verdicts.size(), data.breaches.size()));
    add("<details><summary>Dataset verdict per window</summary><table><caption>Dataset verdict per window "
        "(BASELINE drift)</caption><thead><tr><th scope=\"col\">window start (UTC)</th><th scope=\"col\">verdict</th>"
        "<th scope=\"col\">share of drifted columns</th></tr></thead><tbody>");
    for (const auto& v : data.verdicts) {
      add(fmt::format(R"(<tr><th scope="row">{}</th><td>{}</td><td class="num">{}</td></tr>)", format_window(v.window),
                      verdict_cell(v), number(v.share_of_drifted_columns, "{:.3f}")));
    }
    add("</tbody></table></details>\n");
  } else {
    add("<p class=\"empty-state\" role=\"status\">No dataset verdict in the range: no window has a :table drift "
        "row.</p>\n");
  }
  if (monitor) {
    if (data.breaches.empty()) {
      add("<p>No breach in the range.</p>\n");
    } else {
      add("<table><caption>Breaches (newest first)</caption><thead><tr><th scope=\"col\">window start (UTC)</th>"
          "<th scope=\"col\">rule</th><th scope=\"col\">column</th><th scope=\"col\">slice</th>"
          "<th scope=\"col\">model</th><th scope=\"col\">value</th></tr></thead><tbody>");
      std::size_t shown = 0;
      for (auto it = data.breaches.rbegin(); it != data.breaches.rend() && shown < 100; ++it, ++shown) {
        add(fmt::format(R"(<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class="num">{}</td></tr>)",
                        format_window(it->window), escape_markup(it->rule), escape_markup(it->column),
                        escape_markup(it->slice.empty() ? "whole table" : it->slice), escape_markup(it->model_id),
                        number(it->value, "{:.4g}")));
      }
      add("</tbody></table>");
      if (data.breaches.size() > shown) {
        add(fmt::format("<p>… and {} older breaches (the breaches table has them all).</p>", data.breaches.size() - shown));
      }
      add("\n");
    }
  }
  const auto charts = build_charts(data);
  const auto chart = [&](const std::string& name) -> const std::string* {
    for (const auto& c : charts) {
      if (c.name == name) return &c.svg;
    }
    return nullptr;
  };
  if (const auto* bins = chart("drift_level_bins")) {
    add(figure(*bins, "Stacked bars: how many features are at each PSI level in each window."));
  }
  add("</section>\n");

  // Feature table.
  add("<section id=\"features\" aria-labelledby=\"features-heading\"><h2 id=\"features-heading\">Features</h2>\n"
      "<div class=\"controls\"><label for=\"feature-filter\">Filter features</label>"
      "<input id=\"feature-filter\" type=\"search\" placeholder=\"name contains…\">"
      "<label for=\"level-filter\">Level</label><select id=\"level-filter\"><option value=\"\">all</option>"
      "<option value=\"high\">high</option><option value=\"moderate\">moderate</option>"
      "<option value=\"none\">none</option><option value=\"no data\">no data</option></select>"
      "<span id=\"feature-count\" role=\"status\" aria-live=\"polite\"></span></div>\n");
  add(fmt::format("<table id=\"feature-table\"><caption>{} Select a feature for its distribution and time series; "
                  "the column headers sort.</caption><thead><tr>",
                  monitor ? "Features in the latest window with data, against the baseline."
                          : "Features of the comparison."));
  const std::array<std::pair<const char*, bool>, 9> columns = {
      std::pair{"feature", false}, std::pair{"type", false},   std::pair{"test", false},
      std::pair{"statistic", true}, std::pair{"p-value", true}, std::pair{"PSI", true},
      std::pair{"level", true},     std::pair{"null Δ (pp)", true}, std::pair{"drift", false}};
  for (const auto& column : columns) {
    add(fmt::format(R"(<th scope="col" aria-sort="none"{}><button type="button">{}</button></th>)",
                    column.second ? R"( data-type="number")" : "", column.first));
  }
  add("</tr></thead><tbody>\n");
  std::map<std::string, std::size_t> index_of;
  for (std::size_t i = 0; i < data.features.size(); ++i) index_of.emplace(data.features[i].summary.feature, i);
  for (const auto& row : sorted_by_severity(feature_summaries(data))) {
    const auto i = index_of.at(row.feature);
    add(fmt::format(R"(<tr data-feature="{0}" data-level="{1}"><th scope="row" data-value="{0}">)"
                    R"(<button type="button" class="drill" aria-controls="detail-{2}" aria-expanded="false">{0}</button>)"
                    "</th><td>{3}</td><td>{4}</td>",
                    escape_markup(row.feature), to_string(row.level), i, escape_markup(row.data_type),
                    escape_markup(row.test.empty() ? "not evaluated" : row.test)));
    add(fmt::format(R"(<td class="num"{}>{}</td><td class="num"{}>{}</td><td class="num"{}>{}</td>)",
                    data_value(row.statistic), number(row.statistic, "{:.4g}"), data_value(row.pvalue),
                    number(row.pvalue, "{:.3g}"), data_value(row.psi), number(row.psi, "{:.4f}")));
    add(fmt::format(R"(<td data-value="{}">{}</td><td class="num"{}>{}</td><td>{}</td></tr>)", severity(row.level),
                    level_badge(row.level), data_value(row.null_change),
                    row.null_change ? fmt::format("{:+.2f}", *row.null_change) : "-",
                    row.drifted ? "<strong>DRIFT</strong>" : (row.test.empty() ? escape_markup(row.note) : "ok")));
    add("\n");
  }
  add("</tbody></table></section>\n");

  if (monitor) {
    add("<section id=\"trends\" aria-labelledby=\"trends-heading\"><h2 id=\"trends-heading\">Trends</h2>\n");
    if (const auto* series = chart("psi_timeseries")) {
      add(figure(*series, "The features with the highest latest BASELINE value; solid lines: BASELINE drift, dashed: "
                          "CONSECUTIVE drift; triangles: breaches; shaded bands: PSI levels."));
    }
    if (const auto* heatmap = chart("psi_heatmap")) {
      add(figure(*heatmap, "Every feature (rows, most severe first) in every window (columns); grey: no data."));
    }
    add("</section>\n");
  }

  // Drill-down: one article per feature, shown by the feature table's buttons.
  add("<section id=\"details\" aria-labelledby=\"details-heading\"><h2 id=\"details-heading\">Feature detail</h2>\n"
      "<p id=\"detail-hint\">Select a feature in the table above to see its distribution"
      " and its drift over time.</p>\n");
  for (std::size_t i = 0; i < data.features.size(); ++i) {
    const auto& f = data.features[i];
    add(fmt::format(R"(<article class="detail" id="detail-{}" tabindex="-1" hidden aria-labelledby="detail-{}-heading">)"
                    R"(<h3 id="detail-{}-heading">{}</h3>)",
                    i, i, i, escape_markup(f.summary.feature)));
    add(fmt::format("<p>Level {} ({}), PSI {}, test {}{}.</p>", level_badge(f.summary.level),
                    f.summary.drifted ? "drifted" : "not drifted", number(f.summary.psi, "{:.4f}"),
                    escape_markup(f.summary.test.empty() ? "none" : f.summary.test),
                    f.summary.note.empty() ? "" : " (" + escape_markup(f.summary.note) + ")"));
    add(figure(distribution_chart(data, f), "Reference and current distributions."));
    if (monitor) add(figure(feature_series_chart(data, f), "BASELINE (solid) and CONSECUTIVE (dashed) drift."));
    add("</article>\n");
  }
  add("</section>\n");

  if (monitor) {
    add("<section id=\"quality\" aria-labelledby=\"quality-heading\"><h2 id=\"quality-heading\">Model quality</h2>\n");
    if (const auto* quality = chart("model_quality")) {
      add(figure(*quality, "Per model id; the dashed line is the baseline's value."));
    } else {
      add(fmt::format("<p class=\"empty-state\" role=\"status\">{}</p>\n",
                      escape_markup(data.quality.empty_reason.empty() ? "No model quality in this report."
                                                                      : data.quality.empty_reason)));
    }
    add("</section>\n<section id=\"slices\" aria-labelledby=\"slices-heading\"><h2 id=\"slices-heading\">Slices</h2>\n");
    if (data.slices.empty()) {
      add("<p class=\"empty-state\" role=\"status\">The monitor has no slice besides the whole table "
          "(slicing_exprs).</p>\n");
    }
    for (const auto& slice : data.slices) {
      add(fmt::format("<details><summary>{}</summary>\n", escape_markup(slice.label)));
      if (!slice.verdicts.empty() && slice.verdicts.back().dataset_drift) {
        add(fmt::format("<p>Latest window {}: {}.</p>", format_window(slice.verdicts.back().window),
                        verdict_cell(slice.verdicts.back())));
      }
      add(slice_table(slice.latest, "Features of " + slice.label + " in its latest window with data"));
      add(figure(drift_level_bins({"Features per drift level: " + slice.label, data.subtitle}, slice.levels),
                 "Stacked bars of the slice's PSI levels per window."));
      add("</details>\n");
    }
    add("</section>\n");
  }
  add(fmt::format("</main><footer><p>Generated by driftgov. Levels: none (PSI &lt; {}), moderate, high (PSI ≥ {})."
                  "</p></footer>\n<script>{}</script></body></html>\n",
                  kModerateFrom, kHighFrom, kScript));
  return out;
}

}  // namespace driftgov::report
