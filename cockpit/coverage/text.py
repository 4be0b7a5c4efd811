"""The coverage report as plain text (the CLI's output)."""

from __future__ import annotations

from cockpit.coverage.report import Report

MARK = {"cockpit": "cockpit", "twenty": "TWENTY", "gap": "gap"}


def _who(counts: dict[str, int]) -> str:
    return ", ".join(f"{who} {n}" for who, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))) or "-"


def render(report: Report) -> str:
    lines = [f"Coverage of client {report.client_id}: writes since {report.since:%Y-%m-%d} ({report.days} days)"
             + (f", workspaces {', '.join(report.workspaces)}" if report.workspaces else ""), ""]
    width = max(len(a.name) for a in report.areas)
    for a in report.areas:
        lines.append(f"  {a.name:<{width}}  {MARK[a.status]:<7}  {'covered' if a.covered else 'not covered'}: {a.how}")
        lines.append(f"  {'':<{width}}  {'':<7}  Twenty {a.twenty_total}: {_who(a.twenty)}"
                     + (f"; syncing: {', '.join(a.twenty_syncing)}" if a.twenty_syncing else ""))
        lines.append(f"  {'':<{width}}  {'':<7}  cockpit/arlo {a.ours_total}: {_who(a.ours)}")
    lines.append("")
    if report.custom_objects:
        lines.append("Custom objects the cockpit does not show yet:")
        lines += [f"  {o.table} ({o.schema}): {o.rows} rows, {o.recent_rows} created in the window"
                  for o in report.custom_objects]
    else:
        lines.append("Custom objects: none")
    lines.append("")
    if report.depends:
        lines.append("Still depends on Twenty:")
        lines += [f"  - {d}" for d in report.depends]
    lines.append(f"Verdict: {report.verdict}")
    return "\n".join(lines)
