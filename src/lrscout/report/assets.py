"""The report page's stylesheet and its one script, kept apart from the page's structure."""

CSS = """
:root { --ink: #1f2328; --muted: #656d76; --line: #d8dee4; --soft: #f6f8fa; --good: #009E73; --bad: #CC0000; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: var(--ink);
       background: #fff; }
main { max-width: 1320px; margin: 0 auto; padding: 24px 32px 48px; }
header h1 { font-size: 26px; margin: 0 0 2px; }
header .sub { color: var(--muted); margin: 0 0 18px; }
h2 { font-size: 21px; margin: 36px 0 6px; padding-top: 14px; border-top: 2px solid var(--line); }
h3 { font-size: 16px; margin: 26px 0 8px; }
h4 { font-size: 14px; margin: 10px 0 6px; }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, monospace; background: var(--soft); padding: 1px 4px;
       border-radius: 4px; overflow-wrap: anywhere; }
.muted { color: var(--muted); }
.overview { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 16px; }
.overview .box { border: 1px solid var(--line); border-radius: 10px; padding: 14px 18px; background: var(--soft); }
.overview .box h3 { margin: 0 0 4px; font-size: 15px; color: var(--muted); text-transform: uppercase;
                    letter-spacing: .04em; }
.choice { font-size: 22px; margin: 0 0 6px; }
.choice.ok strong { color: var(--good); font-size: 28px; }
.choice.none { color: var(--bad); font-weight: 600; }
ul.reasons, ul.advice { margin: 4px 0 0; padding-left: 20px; }
ul.advice li { color: #8a5a00; }
ul.advice li::marker { content: "→ "; }
.legend { list-style: none; padding: 0; margin: 14px 0 0; display: flex; flex-wrap: wrap; gap: 6px 20px;
          font-size: 13px; color: var(--muted); }
.badge { display: inline-block; color: #fff; border-radius: 999px; padding: 0 9px; font-size: 12.5px;
         font-weight: 600; line-height: 20px; white-space: nowrap; text-shadow: 0 0 2px rgba(0,0,0,.35); }
nav.panels { margin: 14px 0 0; font-size: 14px; }
nav.panels a { margin-right: 16px; }
.explore { display: grid; grid-template-columns: minmax(0, 1fr) 320px; gap: 18px; align-items: start; }
.cards .card { border: 1px solid var(--line); border-radius: 10px; padding: 10px 14px; font-size: 14px; }
.cards .card h4 { margin: 0 0 4px; font-size: 16px; }
.cards .meaning { margin: 0 0 6px; color: var(--muted); font-style: italic; }
dl.evidence { display: grid; grid-template-columns: auto auto; gap: 0 12px; margin: 6px 0 0; font-size: 12.5px; }
dl.evidence dt { color: var(--muted); }
dl.evidence dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; font-size: 14px; }
table.candidates { width: 100%; }
table.candidates th, table.candidates td, table.plain th, table.plain td { border-bottom: 1px solid var(--line);
  padding: 6px 10px; text-align: left; vertical-align: top; }
table.candidates thead th, table.plain thead th { background: var(--soft); font-weight: 600; }
table.candidates tr.chosen { background: #e9f7f2; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.mark { color: var(--good); width: 1.5em; }
td.reason { max-width: 560px; }
details summary { cursor: pointer; color: #0969da; }
.two { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 18px 28px; }
.placeholder { color: var(--muted); border: 1px dashed var(--line); border-radius: 10px; padding: 16px 18px;
               background: #fcfcfd; }
ul.findings { padding-left: 0; list-style: none; }
.finding { border-left: 4px solid #56B4E9; padding: 6px 12px; margin-bottom: 8px; background: var(--soft); }
.finding.warning { border-left-color: #E69F00; }
.finding .severity { text-transform: uppercase; font-size: 11px; font-weight: 700; color: var(--muted); }
.remedy { margin-top: 2px; }
.settings-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 18px; }
table.settings th { text-align: left; font-weight: 500; color: var(--muted); padding: 2px 14px 2px 0;
                    vertical-align: top; white-space: nowrap; }
table.settings td { padding: 2px 0; overflow-wrap: anywhere; }
footer { margin-top: 40px; color: var(--muted); font-size: 13px; }
@media (max-width: 900px) { .explore, .two { grid-template-columns: minmax(0, 1fr); } main { padding: 16px; } }
"""

# The slider is plotly's own; this script only shows the evidence card of the candidate it highlights
# and fits the charts to the finished layout.
SCRIPT = """
window.addEventListener('load', function () {
  // charts drawn while the page was still loading may have measured a half-built layout
  if (window.Plotly) {
    document.querySelectorAll('.js-plotly-plot').forEach(function (gd) { Plotly.Plots.resize(gd); });
  }
  document.querySelectorAll('[data-lrscout-cards]').forEach(function (box) {
    var chart = document.getElementById(box.getAttribute('data-lrscout-cards'));
    function show(value) {
      box.querySelectorAll('.card').forEach(function (card) {
        card.hidden = card.getAttribute('data-candidate') !== value;
      });
    }
    show('all');
    if (chart && chart.on) {
      chart.on('plotly_sliderchange', function (event) { show(String(event.step.value)); });
    }
  });
});
"""
