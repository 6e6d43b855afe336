"""Small inline SVG charts: no JavaScript, no external files, readable offline and in mail."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

PALETTE = (
    "#3b6ea8",
    "#e07b39",
    "#5aa469",
    "#c94f4f",
    "#8e6bb8",
    "#b59b2f",
    "#4fa3a5",
    "#d17fb0",
    "#7f7f7f",
    "#2f4f6f",
    "#a0522d",
)
W, H, PAD_L, PAD_B, PAD_T, PAD_R = 720, 260, 48, 40, 16, 140


def _frame(title: str, body: list[str], ymax: float, fmt: str = "{:.0f}") -> str:
    plot_h = H - PAD_T - PAD_B
    grid = []
    for i in range(5):
        v = ymax * i / 4
        y = PAD_T + plot_h - plot_h * i / 4
        grid.append(
            f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>'
        )
        grid.append(
            f'<text x="{PAD_L - 6}" y="{y + 4:.1f}" text-anchor="end" '
            f'font-size="11" fill="#555">{escape(fmt.format(v))}</text>'
        )
    return (
        f'<figure class="chart"><figcaption>{escape(title)}</figcaption>'
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {W} {H}" width="{W}" height="{H}">'
        + "".join(grid + body)
        + "</svg></figure>"
    )


def _legend(series: Sequence[str]) -> list[str]:
    out = []
    for i, name in enumerate(series):
        y = PAD_T + 14 * i
        out.append(
            f'<rect x="{W - PAD_R + 12}" y="{y}" width="10" height="10" '
            f'fill="{PALETTE[i % len(PALETTE)]}"/>'
        )
        out.append(f'<text x="{W - PAD_R + 26}" y="{y + 9}" font-size="11">{escape(name)}</text>')
    return out


def _x_labels(labels: Sequence[str], xs: Sequence[float]) -> list[str]:
    step = max(1, len(labels) // 8)
    return [
        f'<text x="{x:.1f}" y="{H - PAD_B + 16}" text-anchor="middle" font-size="11" '
        f'fill="#555">{escape(label)}</text>'
        for i, (label, x) in enumerate(zip(labels, xs, strict=True))
        if i % step == 0
    ]


def empty(title: str) -> str:
    return (
        f'<figure class="chart empty"><figcaption>{escape(title)}</figcaption>'
        "<p>No data in this period.</p></figure>"
    )


def stacked_bars(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    counts: bool = False,
) -> str:
    """``counts``: whole numbers, so the axis goes up in whole steps (its top a multiple of
    the four grid steps) rather than showing 0, 0, 1, 1."""
    if not labels or not series:
        return empty(title)
    totals = [sum(s[i] for s in series.values()) for i in range(len(labels))]
    ymax = max(max(totals), 1)
    if counts:
        ymax = 4 * math.ceil(ymax / 4)
    plot_w, plot_h = W - PAD_L - PAD_R, H - PAD_T - PAD_B
    slot = plot_w / len(labels)
    bw = max(2.0, slot * 0.7)
    body: list[str] = []
    xs = []
    for i, label in enumerate(labels):
        x = PAD_L + slot * i + (slot - bw) / 2
        xs.append(x + bw / 2)
        y = float(PAD_T + plot_h)
        for j, (name, values) in enumerate(series.items()):
            h = plot_h * values[i] / ymax
            if h <= 0:
                continue
            y -= h
            body.append(
                f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bw:.1f}" '
                f'height="{h:.1f}" fill="{PALETTE[j % len(PALETTE)]}">'
                f"<title>{escape(label)} {escape(name)}: {values[i]:g}</title></rect>"
            )
    return _frame(title, body + _x_labels(labels, xs) + _legend(list(series)), ymax)


def lines(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    percent: bool = False,
) -> str:
    if not labels or not series:
        return empty(title)
    ymax = 1.0 if percent else max(1.0, *(max(v) for v in series.values()))
    plot_w, plot_h = W - PAD_L - PAD_R, H - PAD_T - PAD_B
    step = plot_w / max(1, len(labels) - 1)
    xs = [PAD_L + step * i for i in range(len(labels))] if len(labels) > 1 else [PAD_L + plot_w / 2]
    body = []
    for j, (name, values) in enumerate(series.items()):
        pts = " ".join(
            f"{x:.1f},{PAD_T + plot_h - plot_h * v / ymax:.1f}"
            for x, v in zip(xs, values, strict=True)
        )
        color = PALETTE[j % len(PALETTE)]
        body.append(
            f'<polyline class="line" fill="none" stroke="{color}" stroke-width="2" '
            f'points="{pts}"><title>{escape(name)}</title></polyline>'
        )
        for x, v, label in zip(xs, values, labels, strict=True):
            shown = f"{v:.0%}" if percent else f"{v:g}"
            body.append(
                f'<circle cx="{x:.1f}" cy="{PAD_T + plot_h - plot_h * v / ymax:.1f}" '
                f'r="3" fill="{color}"><title>{escape(label)} {escape(name)}: '
                f"{shown}</title></circle>"
            )
    fmt = "{:.0%}" if percent else "{:.0f}"
    return _frame(title, body + _x_labels(labels, xs) + _legend(list(series)), ymax, fmt)


def hbars(title: str, values: Mapping[str, float], *, unit: str = "") -> str:
    if not values:
        return empty(title)
    items = list(values.items())
    row = 22
    height = PAD_T + row * len(items) + 8
    vmax = max(max(v for _, v in items), 1e-9)
    label_w = 220
    plot_w = W - label_w - 80
    body = []
    for i, (label, v) in enumerate(items):
        y = PAD_T + row * i
        w = plot_w * v / vmax
        body.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" font-size="12">'
            f"{escape(label[:40])}</text>"
        )
        body.append(
            f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{max(w, 1):.1f}" '
            f'height="{row - 6}" fill="{PALETTE[0]}"><title>{escape(label)}: {v:g}{unit}'
            "</title></rect>"
        )
        body.append(
            f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" font-size="12">'
            f"{v:g}{escape(unit)}</text>"
        )
    return (
        f'<figure class="chart"><figcaption>{escape(title)}</figcaption>'
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {W} {height}" width="{W}" height="{height}">'
        + "".join(body)
        + "</svg></figure>"
    )
