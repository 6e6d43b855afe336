"""CSV cells a member wrote cannot run as spreadsheet formulas, nor show a secret."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from bot.reports.metrics import Report
from bot.reports.render import write_csv

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_cells_that_would_start_a_formula_are_written_as_text(tmp_path: Path) -> None:
    hostile = [
        '=HYPERLINK("https://evil.example","click")',
        "+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A9)",
        "\t=1+1",
        "\r=1+1",
    ]
    report = Report(
        since=T0,
        until=T0,
        tables={
            "messages": [
                {"id": i, "channel_name": text, "toxicity": -0.5, "at": T0}
                for i, text in enumerate([*hostile, "a plain name", ""])
            ],
            "alerts": [{"summary": "token 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1 refused"}],
        },
    )
    write_csv(report, tmp_path)
    with (tmp_path / "messages.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["channel_name"] for r in rows] == [*("'" + h for h in hostile), "a plain name", ""]
    assert rows[0]["toxicity"] == "-0.5"  # numbers stay numbers
    assert rows[0]["at"] == T0.isoformat()
    alerts = (tmp_path / "alerts.csv").read_text()
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1" not in alerts and "[redacted]" in alerts
