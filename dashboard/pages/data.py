"""Data page /data: loads, rejected rows by rule, reconciliation mismatches, sources, demo notice."""

from __future__ import annotations

import dash
from dash import html

from dashboard import auth as A
from dashboard import components as C
from dashboard import exports
from dashboard import queries as Q
from dashboard.i18n import fmt_date, t
from dashboard.pagekit import grid, page_start, page_state, safe_layout

dash.register_page(__name__, path="/data", name="data", title=C.page_title("tab_data"))


def _cols(df, lang, name=""):
    """Headers in the UI language, the very headers of the table's files (exports.present)."""
    return [{"field": c, "headerName": h} for c, h in zip(df.columns, exports.present(df.head(0), name, lang).columns)]


def _warnings(url_filters, scope, county, sub, lang):
    """Register warnings by county and rule; a county's masked households to download and correct."""
    df = Q.warnings_by_county(scope)
    if df.empty:
        return C.table_card("warnings", t("d_warnings", lang), sub, lang, C.message(t("d_no_warnings", lang)))
    body = [grid("data-warnings", df, _cols(df, lang, "warnings"), height=max(200, min(110 + 42 * len(df), 420)), lang=lang,
                 defer=True)]
    counties = df.drop_duplicates("county_code")
    body.append(html.P(className="warning-counties", children=[t("d_warning_pick", lang), " "] + [
        html.A(name, href="/data" + url_filters.replace(county=code).to_search(), id=f"warn-county-{code}",
               style={"marginRight": "0.8em"})
        for code, name in zip(counties["county_code"], counties["county_name"].fillna(counties["county_code"]))]))
    cards = [C.table_card("warnings", t("d_warnings", lang), sub, lang, html.Div(body))]
    if county:
        rows = Q.warning_rows(county, scope)
        name = Q.names(scope).get(county, county)
        cards.append(C.table_card("warning_rows", t("d_warning_rows", lang, county=name), sub, lang,
                                  grid("data-warning-rows", rows, _cols(rows, lang, "warning_rows"),
                                       height=max(200, min(110 + 42 * len(rows), 420)), lang=lang, defer=True)))
    return html.Div(cards)


@safe_layout
def layout(**query):
    url_filters, filters, scope, meta, children = page_start(query, "/data")
    lang = url_filters.lang
    sub = " · ".join(filter(None, [
        f"{t('dh_warehouse_version', lang)} {meta.get('warehouse_version', '—')}",
        f"{t('dh_built_at', lang)} {str(meta.get('built_at', '—')).replace('T', ' ')[:19]}",
        f"{t('as_of', lang)} {fmt_date(meta.get('data_as_of'), lang) if meta.get('data_as_of') else '—'}",
        t("demo_label", lang) if meta.get("demo") == "true" else None]))
    children.append(html.H2(t("tab_data", lang), className="page-title"))  # headings in order: h1, h2, h3
    if meta.get("demo") == "true":
        children.append(C.message(t("demo_notice", lang), "empty"))
    sections = []
    for key, name, df in (
        ("d_loads", "loads", Q.loads(scope)),
        ("d_files", "files", Q.load_files(scope)),
        ("d_rejects", "rejects", Q.rejects_by_rule(scope)),
        ("d_reject_samples", "reject_samples", Q.reject_samples(scope)),
        ("d_recon", "recon", Q.reconciliation(scope)),
        ("d_refs", "refs", Q.reference_sources()),
    ):
        if df.empty:
            body = C.message(t("d_recon_ok" if name == "recon" else "d_no_rejects" if name.startswith("reject")
                               else "empty", lang))
        else:
            body = grid(f"data-{name}", df, _cols(df, lang, name), height=max(200, min(110 + 42 * len(df), 420)), lang=lang,
                        defer=name != "loads")  # the first card is drawn with the page, the others after it
        sections.append(C.table_card(name, t(key, lang), sub, lang, body))
    if scope != Q.scope_counties("620000"):
        sections.insert(0, C.message(t("d_lineage_files_scoped" if Q.rejects_by_county() else "d_lineage_scoped", lang)))
    if A.is_admin():  # the audit log: admins only
        df = A.audit_frame(200)
        sections.append(html.Section(className="card", id="audit-card", children=[
            html.Div(className="card-head", children=[html.H3(t("d_audit", lang))]),
            grid("data-audit", df, _cols(df, lang), height=420, lang=lang, defer=True)]))
    children += sections
    county = filters.county if filters.county in scope else None
    children.append(_warnings(url_filters, scope, county, sub, lang))
    children += page_state(url_filters, ctx_data={"county": county} if county else None)
    return html.Main(className="page", children=children)
