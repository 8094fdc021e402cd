"""Meeting mode on a projector: every slide at 1280×720, 1366×768 and 1920×1080 in headless Chromium, measured
(nothing outside the viewport or under the footer, the title clear of the controls, every number on one line);
the map's classes apart on both themes and for colour-blind viewers, computed here (CIELAB ΔE after the
Machado et al. 2009 simulation)."""

import math
import time
from pathlib import Path

import pytest

from dashboard import meeting
from tests.conftest import serving

SHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots" / "meeting"
SIZES = [(1280, 720), (1366, 768), (1920, 1080)]

# Every problem on the slide on screen, as text (empty = fits).
MEASURE = r"""
const W = window.innerWidth, H = window.innerHeight, out = [];
const foot = document.querySelector('.mt-footer').getBoundingClientRect();
const name = el => (el.id ? '#' + el.id : el.tagName.toLowerCase() + '.' + (el.getAttribute('class') || ''))
                   + ' "' + (el.textContent || '').trim().slice(0, 40) + '"';
const visible = el => { const s = getComputedStyle(el); return s.display !== 'none' && s.visibility !== 'hidden'; };
const box = r => `[${Math.round(r.left)},${Math.round(r.top)},${Math.round(r.right)},${Math.round(r.bottom)}]`;
if (foot.bottom > H + 0.5 || foot.top < 0) out.push('footer off screen ' + box(foot));
const scope = document.querySelectorAll('.mt-top *, #mt-slide *, .mt-footer *');
for (const el of scope) {
  if (el.closest('defs, clipPath, .hoverlayer, .mt-jump') || !visible(el)) continue;
  if (el.closest('.js-plotly-plot') && !el.closest('.colorbar, .scattergeolayer, .choroplethlayer')) continue;
  const r = el.getBoundingClientRect();
  if (r.width < 1 || r.height < 1) continue;
  if (r.left < -0.5 || r.top < -0.5 || r.right > W + 0.5 || r.bottom > H + 0.5)
    out.push('outside ' + name(el) + ' ' + box(r));
  if (!el.closest('.mt-footer') && r.bottom > foot.top + 0.5) out.push('under footer ' + name(el) + ' ' + box(r));
  const card = el.parentElement && el.parentElement.closest('.mt-kpi, td, th');
  if (card) {
    const c = card.getBoundingClientRect();
    if (r.right > c.right + 0.5 || r.left < c.left - 0.5) out.push('out of its box ' + name(el) + ' ' + box(r));
  }
}
// the title's text against the controls
const ctl = document.querySelector('.mt-controls').getBoundingClientRect();
const range = document.createRange();
range.selectNodeContents(document.querySelector('#mt-title') || document.querySelector('#mt-slide h1'));
for (const r of range.getClientRects()) {
  if (r.right > ctl.left - 1 && r.left < ctl.right && r.bottom > ctl.top && r.top < ctl.bottom)
    out.push('title under controls ' + box(r) + ' vs ' + box(ctl));
}
// every number with its unit on one line
for (const el of document.querySelectorAll('.mt-num')) {
  if (visible(el) && el.getClientRects().length > 1) out.push('number wrapped ' + name(el));
}
return out;
"""


def _counter(duo):
    return duo.find_element("#mt-counter").text


def _wait_slide(duo, i, total):
    duo.wait_for_text_to_equal("#mt-counter", f"{i} / {total}", timeout=15)
    kind = duo.driver.execute_script("return document.querySelector('#mt-slide .mt-body').className")
    if "mt-map" in kind:  # the map drawn, with its names and legend
        deadline = time.time() + 20
        while time.time() < deadline and not duo.driver.execute_script(
                "return document.querySelectorAll('#mt-map .choroplethlayer path').length > 10"
                " && document.querySelectorAll('#mt-map .scattergeolayer text').length > 0"
                " && document.querySelectorAll('#mt-map .colorbar').length > 0"):
            time.sleep(0.2)
    time.sleep(0.4)
    return kind.split()[-1]


def _viewport(duo, w, h):
    duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": False})
    time.sleep(0.5)  # plotly's responsive resize
    assert duo.driver.execute_script("return [innerWidth, innerHeight]") == [w, h]


def _walk(duo, url, tag):
    """Every slide of the deck at every size: the problems found, and a screenshot of each."""
    duo.wait_for_page(url)
    duo.wait_for_element("#meeting-root", timeout=20)
    duo.wait_for_contains_text("#mt-counter", "1 / ", timeout=20)
    duo.find_element("#mt-pause").click()  # the walk steps by itself
    total = int(_counter(duo).split("/")[1])
    problems, kinds = [], []
    SHOTS.mkdir(parents=True, exist_ok=True)
    for i in range(1, total + 1):
        if i > 1:
            duo.find_element("#mt-next").click()
        kind = _wait_slide(duo, i, total)
        kinds.append(kind)
        for w, h in SIZES:
            _viewport(duo, w, h)
            problems += [f"{tag} slide {i} ({kind}) {w}x{h}: {p}" for p in duo.driver.execute_script(MEASURE)]
            duo.driver.save_screenshot(str(SHOTS / f"{tag}_{i:02d}_{kind}_{w}x{h}.png"))
    return kinds, problems


@pytest.fixture
def served_demo(dash_duo, demo_warehouse):
    with serving(dash_duo, demo_warehouse):
        yield dash_duo


def test_every_slide_fits_three_screens_province_zh_dark(served_demo):
    duo = served_demo
    kinds, problems = _walk(duo, f"{duo.server_url}/meeting?scope=620000&theme=dark&as_of=2019Q2&lang=zh&interval=600",
                            "province_zh_dark")
    assert problems == [], "\n".join(problems[:40])
    # the meeting's order: headline, who is behind (all, paged), the map, the rest
    assert kinds[0] == "mt-overview" and kinds[1] == "mt-behind"
    assert kinds.index("mt-map") > max(i for i, k in enumerate(kinds) if k in ("mt-behind", "mt-villages"))
    assert duo.get_logs() == [], duo.get_logs()


def test_every_slide_fits_three_screens_prefecture_en_light(served_demo):
    duo = served_demo
    kinds, problems = _walk(duo, f"{duo.server_url}/meeting?scope=622900&theme=light&as_of=2020Q4&lang=en&interval=600",
                            "linxia_en_light")
    assert problems == [], "\n".join(problems[:40])
    assert "mt-map" in kinds and "mt-unit" in kinds
    assert duo.get_logs() == [], duo.get_logs()


# ---------------------------------------------------------------- map classes: colour differences
def _lin(c):
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _enc(c):
    c = min(max(c, 0.0), 1.0)
    return 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055


# Machado, Oliveira & Fernandes (2009), severity 1.0, on linear RGB
CVD = {
    "normal": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}


def _lab(hex_colour, vision="normal"):
    rgb = [_lin(int(hex_colour.lstrip("#")[i:i + 2], 16) / 255) for i in (0, 2, 4)]
    m = CVD[vision]
    r, g, b = [_lin(_enc(sum(m[i][j] * rgb[j] for j in range(3)))) for i in range(3)]
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
    f = [v ** (1 / 3) if v > 0.008856 else 7.787 * v + 16 / 116 for v in (x, y, z)]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def delta_e(a, b, vision="normal"):
    return math.dist(_lab(a, vision), _lab(b, vision))


def test_delta_e_reference_values():
    assert delta_e("#000000", "#FFFFFF") == pytest.approx(100, abs=0.1)
    assert _lab("#FF0000") == pytest.approx((53.24, 80.09, 67.20), abs=0.2)
    # a red/green pair apart for normal vision collapses for a deuteranope
    assert delta_e("#D62728", "#2CA02C") > 60 > 2 * delta_e("#D62728", "#2CA02C", "deuteranopia")


@pytest.mark.parametrize("theme", sorted(meeting.THEMES))
@pytest.mark.parametrize("vision", sorted(CVD))
def test_map_classes_apart_on_each_theme(theme, vision):
    """Adjacent classes ≥ 20 ΔE apart; each class ≥ 20 from 'no data' and the non-poverty grey and from the
    background; the non-poverty grey ≥ 10 from the background (recessive, but not the background)."""
    *classes, no_data, non_poverty = meeting.MAP_CLASSES[theme]
    bg = meeting.THEMES[theme]["bg"]
    assert len(classes) == 4
    for a, b in zip(classes, classes[1:]):
        assert delta_e(a, b, vision) >= 20, (a, b)
    for c in classes:
        for other in (no_data, non_poverty, bg):
            assert delta_e(c, other, vision) >= 20, (c, other)
    assert delta_e(no_data, non_poverty, vision) >= 20
    assert delta_e(non_poverty, bg, vision) >= 10
    assert delta_e(no_data, bg, vision) >= 20


def test_map_labels_readable_on_each_theme():
    """The names are drawn in the theme's text colour with a halo of the background: text against its
    background ≥ 7:1."""
    for c in meeting.THEMES.values():
        assert meeting.contrast_ratio(c["text"], c["bg"]) >= 7
