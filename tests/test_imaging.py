"""Server-side chart export (dashboard.imaging): Chinese glyphs, stamps, formats, the kaleido lock."""

import io
import shutil
import subprocess
import threading

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image, ImageChops

from dashboard import imaging

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None, reason="kaleido needs /usr/bin/chromium")

STAMP = dict(place="临夏州", as_of="2019-06-30", source="建档立卡动态管理数据", demo=True)


def _text_figure(text: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=text, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                       font=dict(size=64, color="black"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(width=600, height=200, margin=dict(l=0, r=0, t=0, b=0), paper_bgcolor="white",
                      plot_bgcolor="white")
    return fig


def _ink(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("L")


def test_cjk_font_installed():
    out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False).stdout
    assert out.strip(), "no font with Chinese glyphs: apt-get install fonts-noto-cjk"


def test_chinese_glyphs_render_not_tofu():
    """Without a CJK font every character becomes the same 'tofu' box, so two different Chinese words of
    the same length render identically. With the font they differ, and each has real ink."""
    a = _ink(imaging.render(_text_figure("脱贫人口"), "png", scale=2))
    b = _ink(imaging.render(_text_figure("退出计划"), "png", scale=2))
    blank = _ink(imaging.render(_text_figure(" "), "png", scale=2))
    assert ImageChops.difference(a, blank).getbbox() is not None, "Chinese text drew nothing"
    diff = ImageChops.difference(a, b)
    changed = sum(diff.histogram()[65:])
    assert changed > 2000, f"'脱贫人口' and '退出计划' rendered alike ({changed} px differ): CJK glyphs missing (tofu)"


def test_png_print_resolution_and_stamps():
    fig = go.Figure(go.Bar(x=["2018年", "2019年"], y=[10, 20]))
    png = imaging.figure_to_image(fig, "png", title="临夏州 · 2019年 · 脱贫人口", width=1000, height=500, **STAMP)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    im = Image.open(io.BytesIO(png))
    assert im.size == (1000 * imaging.PRINT_SCALE, 500 * imaging.PRINT_SCALE)
    assert imaging.PRINT_SCALE >= 2
    with pytest.raises(ValueError):
        imaging.figure_to_image(fig, "png", title="x", scale=1, **STAMP)


def test_decorate_puts_title_scope_date_source_demo_on_the_figure():
    fig = go.Figure(go.Bar(x=[1], y=[1]), layout=dict(title="old title"))
    d = imaging.decorate(fig, title="脱贫人口", lang="zh", **STAMP)
    words = [d.layout.title.text, d.layout.title.subtitle.text] + [a.text for a in d.layout.annotations]
    joined = " ".join(words)
    for needle in ("脱贫人口", "临夏州", "2019年6月30日", "建档立卡动态管理数据", "演示数据"):
        assert needle in joined
    assert "old title" not in joined
    assert fig.layout.title.text == "old title", "the caller's figure must not be modified"
    d2 = imaging.decorate(fig, title="t", lang="zh", **{**STAMP, "demo": False})
    assert not any("演示数据" in (a.text or "") for a in d2.layout.annotations)


def test_svg_and_pdf_smoke():
    fig = go.Figure(go.Bar(x=["甲", "乙"], y=[1, 2]))
    svg = imaging.figure_to_image(fig, "svg", title="脱贫人口", **STAMP).decode("utf-8")
    assert svg.lstrip().startswith("<svg")
    for needle in ("脱贫人口", "临夏州", "2019年6月30日", "演示数据"):
        assert needle in svg
    pdf = imaging.figure_to_image(fig, "pdf", title="脱贫人口", **STAMP)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert b"/Font" in pdf and len(pdf) > 5000
    with pytest.raises(ValueError):
        imaging.render(fig, "gif")


def test_concurrent_exports_do_not_mix_images():
    """The kaleido server is not thread-safe: the lock must keep each thread's image its own."""
    sizes = {i: (400 + 40 * i, 300) for i in range(4)}
    out: dict = {}

    def work(i):
        w, h = sizes[i]
        fig = go.Figure(go.Scatter(y=[i, i + 1]), layout=dict(width=w, height=h))
        out[i] = Image.open(io.BytesIO(imaging.render(fig, "png", scale=2))).size

    threads = [threading.Thread(target=work, args=(i,)) for i in sizes]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert out == {i: (w * 2, h * 2) for i, (w, h) in sizes.items()}


def test_offline_map_export(tmp_path):
    """A geo subplot renders offline (local topojson) and is not blank."""
    square = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": "620000"},
              "geometry": {"type": "Polygon", "coordinates": [[[103, 35], [103, 37], [105, 37], [105, 35], [103, 35]]]}}]}
    fig = go.Figure(go.Choropleth(geojson=square, featureidkey="properties.code", locations=["620000"], z=[1],
                                  colorscale=[[0, "#B2182B"], [1, "#B2182B"]], showscale=False))
    fig.update_geos(fitbounds="locations", visible=False)
    fig.update_layout(width=400, height=400, margin=dict(l=0, r=0, t=0, b=0))
    im = Image.open(io.BytesIO(imaging.render(fig, "png", scale=2))).convert("RGB")
    a = np.asarray(im).astype(int)
    reds = int(((a[..., 0] > 150) & (a[..., 1] < 60) & (a[..., 2] < 70)).sum())
    assert reds > 10000, "map drew no polygon (topojson not found offline?)"
