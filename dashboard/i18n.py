"""One catalog of labels (Simplified Chinese first, English switchable) and number/date formats."""

from __future__ import annotations

import datetime as dt
import math

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

# key: (zh, en)
CATALOG: dict[str, tuple[str, str]] = {
    "app_title": ("甘肃省脱贫攻坚三年行动进度监测", "Gansu poverty-exit plan monitor 2018–2020"),
    "nav_overview": ("总览", "Overview"),
    "nav_data": ("数据与来源", "Data & sources"),
    "nav_meeting": ("会议模式", "Meeting mode"),
    "report_docx": ("报告(Word)", "Report (Word)"),
    "report_pptx": ("汇报(PPT)", "Slides (PPT)"),
    "report_hint": ("按当前范围和截止季度生成", "For the scope and as-of quarter on screen"),
    "lang_switch": ("English", "中文"),
    "province": ("全省", "Gansu province"),
    "demo_label": ("演示数据（非真实统计）", "Demo data (not real statistics)"),
    "demo_notice": (
        "本系统当前载入的是演示数据：省、县两级的公开数字与官方公布一致，村、户数据为按规则生成的模拟数据，不能用于决策。",
        "The warehouse holds demo data: province and county figures reproduce the published ones; "
        "village and household rows are generated and must not be used for decisions.",
    ),
    "as_of": ("数据截止", "Data as of"),
    "source": ("来源", "Source"),
    "colon": ("：", ": "),
    "paren": ("（{text}）", " ({text})"),  # an aside after a word
    "other_lang": ("en", "zh"),  # the language the switch link goes to
    "source_text": ("建档立卡动态管理数据（季度快照）；计划：甘发〔2018〕20号", "Registration system quarterly snapshots; plan: Gan Fa [2018] No. 20"),
    # filters
    "f_prefecture": ("市州", "Prefecture"),
    "f_county": ("县市区", "County"),
    "f_ctype": ("贫困县类型", "County type"),
    "f_deep": ("深度贫困", "Deep poverty"),
    "f_pathway": ("帮扶路径", "Pathway"),
    "f_as_of": ("截止季度", "As of quarter"),
    "f_level": ("统计层级", "Level"),
    "f_metric": ("地图指标", "Map metric"),
    "all": ("全部", "All"),
    "ctype_片区": ("片区县", "Contiguous-area"),
    "ctype_插花": ("插花县", "Scattered"),
    "deep_两州一县": ("两州一县", "Linxia, Gannan & Tianzhu"),
    "deep_省定": ("省定深度贫困县", "Province-designated"),
    "deep_any": ("全部深度贫困县", "Any deep-poverty county"),
    "level_people": ("脱贫人口", "People exiting poverty"),
    "level_villages": ("贫困村退出", "Poor villages exiting"),
    "level_counties": ("贫困县摘帽", "Poor counties exiting"),
    "pw_all": ("全部路径", "All pathways"),
    "pw_industry": ("产业扶贫", "Industry"),
    "pw_employment": ("转移就业", "Employment"),
    "pw_relocation": ("易地扶贫搬迁", "Relocation"),
    "pw_ecology": ("生态扶贫", "Ecology"),
    "pw_social_security": ("低保兜底", "Social-security floor"),
    "pw_housing": ("危房改造", "Housing renovation"),
    "pw_water": ("饮水安全", "Drinking water"),
    "notice_invalid": ("以下链接参数无效，已改用默认值：", "These link parameters were invalid and were reset to defaults: "),
    # KPIs
    "kpi_this_year": ("{year}年完成", "Exited in {year}"),
    "kpi_plan": ("年度计划", "annual plan"),
    "kpi_cum": ("累计（{start}年以来）", "Cumulative since {start}"),
    "kpi_cum_villages": ("累计退出（含2018年前）", "Exited in total (incl. before 2018)"),
    "kpi_cum_counties": ("累计摘帽（含2018年前）", "Exited in total (incl. before 2018)"),
    "kpi_total": ("三年总任务", "3-year total"),
    "kpi_completion": ("完成率", "Completion"),
    "kpi_gap": ("差距", "Gap"),
    "kpi_expected": ("按进度累计应完成", "Expected to date"),
    "kpi_projection": ("按当前进度预计全年", "Year-end at current pace"),
    "rag_green": ("进度正常", "On track"),
    "rag_amber": ("略有滞后", "Slightly behind"),
    "rag_red": ("明显滞后", "Behind"),
    "rag_year_end": ("年底统一验收，年中不评", "Certified at year end – not rated mid-year"),
    "rag_none": ("无计划", "No plan"),
    "rag_rule": (
        "进度规则：按累计进度评定——2018年以来累计实际 ÷ 累计应完成（以往年度计划全额 + 本年计划的{share}，截至{date}，季节曲线：{basis}）。达到{g}为绿色，{a}以上为黄色，低于{a}为红色。提前完成的不算滞后。贫困村、贫困县在年底统一验收，年中不评定。",
        "Rule: judged cumulatively – exits since 2018 against exits expected by {date} (earlier years' plans in full "
        "plus {share} of this year's, seasonal profile: {basis}). Green at ≥ {g}, amber at ≥ {a}, red below; getting out "
        "ahead of plan is not lagging. Villages and counties are certified at year end and not rated mid-year.",
    ),
    "profile_last_year": ("{year}年各季度实际脱贫分布", "actual exits by quarter in {year}"),
    "profile_default": ("默认曲线（配置）", "configured default profile"),
    # charts
    "ch_schedule": ("退出进度：计划与实际", "Exit schedule: plan vs actual"),
    "ch_map": ("分县地图", "County map"),
    "ch_ranking": ("累计进度排名（实际/应完成）", "Progress to date (actual / expected)"),
    "ch_pathways": ("七大路径：计划与实际", "Seven pathways: plan vs actual"),
    "ch_villages": ("贫困村一览", "Villages"),
    "ch_village_map": ("贫困村分布", "Villages on the map"),
    "ch_breakdown": ("贫困户构成", "Households by category"),
    "ch_history": ("季度变化", "Quarterly history"),
    "ch_v_history": ("季度变化", "Quarterly history"),
    "ch_households": ("贫困户名单（已脱敏）", "Households (masked)"),
    "annual": ("年度", "Annual"),
    "cumulative": ("累计", "Cumulative"),
    "plan": ("计划", "Plan"),
    "actual": ("实际", "Actual"),
    "projection": ("按当前进度预计", "Projected at current pace"),
    "before_2018": ("2018年前", "Before 2018"),
    "year_fmt": ("{year}年", "{year}"),
    "download": ("下载数据", "Download data"),
    "empty": ("当前筛选条件下没有数据。请放宽筛选条件（例如选择“全部”）。", "No data for this selection. Widen the filters (e.g. choose “All”)."),
    "error": ("数据暂时无法读取：{msg}。请稍后刷新；如仍出错，请联系管理员检查数据仓库。", "The data could not be read: {msg}. Refresh in a moment; if it persists, ask the administrator to check the warehouse."),
    "busy": ("服务器正在生成其他报告或图片，请稍候几秒再试。", "The server is busy with other reports or images. Please try again in a few seconds."),
    "missing_db": ("尚未找到数据仓库文件 {path}。请先运行 “python -m etl load …” 载入数据。", "Warehouse file {path} not found. Load data first with “python -m etl load …”."),
    "not_found": ("页面不存在", "Page not found"),
    "unknown_county": ("未找到县代码 {code}", "No county with code {code}"),
    "unknown_village": ("未找到村代码 {code}", "No village with code {code}"),
    "back_overview": ("返回总览", "Back to overview"),
    # map metrics
    "m_completion": ("脱贫人口累计进度（实际/按进度应完成）", "People out to date vs expected to date"),
    "m_remaining": ("剩余贫困人口", "Remaining poor people"),
    "m_incidence": ("贫困发生率", "Poverty incidence"),
    "m_planned_year": ("计划摘帽年度", "Planned exit year"),
    "m_actual_year": ("实际摘帽年度/状态", "Actual exit year / status"),
    "m_gap": ("本年脱贫人口差距（计划−实际）", "Gap to this year's people plan"),
    "m_returned": ("返贫人口", "Returned to poverty (people)"),
    "non_poverty": ("非贫困县", "Not a poverty county"),
    "no_data": ("无数据", "No data"),
    "not_exited": ("尚未摘帽", "Not yet exited"),
    "may_exit": ("<3%（可退出）", "<3% (may exit)"),
    "watch": ("≥20%（重点跟踪）", "≥20% (deep tracking)"),
    "map_click_hint": ("点击县可进入该县页面", "Click a county to open its page"),
    "behind": ("滞后村数", "Villages behind"),
    # tables / columns
    "col_village": ("村", "Village"),
    "col_township": ("乡镇", "Township"),
    "col_status": ("状态", "Status"),
    "col_planned": ("计划退出年度", "Planned exit"),
    "col_actual": ("实际退出年度", "Actual exit"),
    "col_incidence": ("贫困发生率", "Incidence"),
    "col_hh_left": ("未脱贫户", "Households left"),
    "col_people_left": ("未脱贫人口", "People left"),
    "st_exited": ("已退出", "Exited"),
    "st_behind": ("滞后", "Behind"),
    "st_on_plan": ("按计划推进", "On plan"),
    "dim_status": ("脱贫状态", "Status"),
    "dim_attribute": ("贫困户属性", "Household type"),
    "dim_cause": ("主要致贫原因", "Main cause"),
    "households": ("户", "households"),
    "people": ("人", "people"),
    "h_remaining": ("剩余贫困人口", "Remaining poor people"),
    "h_returned": ("返贫户", "Returned households"),
    "h_new": ("新识别户", "Newly identified households"),
    "h_incidence": ("贫困发生率", "Incidence"),
    "masked_note": ("姓名与证件号码已在服务器端脱敏，原始个人信息不会发送到浏览器。", "Names and ID numbers are masked on the server; personal data never reaches the browser."),
    # data page
    "d_loads": ("数据载入记录", "Loads"),
    "d_files": ("载入文件", "Loaded files"),
    "d_rejects": ("被拒绝的数据行（按规则）", "Rejected rows by rule"),
    "d_reject_samples": ("被拒绝数据行示例", "Rejected rows (first 200)"),
    "d_recon": ("三级核对不一致项", "Three-level reconciliation mismatches"),
    "d_recon_ok": ("三级核对全部一致。", "All three-level reconciliation checks agree."),
    "d_refs": ("公开数据来源", "Sources of the reference facts"),
    "d_no_rejects": ("没有被拒绝的数据行。", "No rejected rows."),
    # county and village pages
    "col_code": ("代码", "Code"),
    "col_household_id": ("户编号", "Household ID"),
    "col_head_masked": ("户主（脱敏）", "Head (masked)"),
    "col_id_masked": ("证件号码（脱敏）", "ID number (masked)"),
    "col_size": ("人口", "Size"),
    "col_exit_date": ("脱贫日期", "Exit date"),
    # meeting mode
    "mt_overview": ("{name} · {year}脱贫攻坚进度", "{name} · {year} progress"),
    "mt_counties_behind": ("脱贫人口进度滞后的贫困县", "Counties behind"),
    "mt_none": ("无", "none"),
    "mt_behind_title": ("进度滞后：{counties} 个县 · {villages} 个村", "Behind schedule：{counties} counties · {villages} villages"),
    "mt_exited_since": ("累计脱贫", "Exited since 2018"),
    "mt_progress": ("进度", "Progress"),
    "mt_no_county_behind": ("没有进度滞后的贫困县", "No county behind"),
    "mt_paused": ("已暂停（空格继续）", "Paused (space to resume)"),
    # accounts (dashboard/auth)
    "col_head": ("户主", "Head"),
    "col_id": ("证件号码", "ID number"),
    "login_title": ("登录", "Log in"),
    "login_user": ("用户名", "User name"),
    "login_password": ("密码", "Password"),
    "login_submit": ("登录", "Log in"),
    "login_bad": ("用户名或密码错误。", "Wrong user name or password."),
    "login_wait": ("尝试次数过多，请 {seconds} 秒后再试。", "Too many attempts: try again in {seconds} s."),
    "login_locked": ("尝试次数过多，账号已锁定 {minutes} 分钟；可请管理员重设密码。",
                     "Too many attempts: the account is locked for {minutes} min; an admin can reset the password."),
    "login_link_bad": ("登录链接无效、已使用或已过期。", "This login link is invalid, used or expired."),
    "login_csrf": ("表单已过期，请重新登录。", "The form expired: please log in again."),
    "logout": ("退出", "Log out"),
    "http_401": ("请先登录。", "Log in first."),
    "http_403": ("不在您的权限范围内。", "Not in your scope."),
    "not_in_scope": ("{code} 不在您的权限范围内。", "{code} is not in your scope."),
    "pii_note": ("您有查看个人信息的授权：本表显示未脱敏的姓名与证件号码，每次查看和下载都记入审计日志。",
                 "You are granted personal data: names and ID numbers are shown unmasked; every view and download is audited."),
    "d_audit": ("审计日志（最近 200 条）", "Audit log (latest 200)"),
    # data API tokens (dashboard/api.py)
    "tok_title": ("数据接口令牌", "Data API tokens"),
    "tok_intro": ("脚本和 Excel（Power Query“自网站”）以请求头 Authorization: Bearer 令牌 调用 /api/index.json 所列的数据接口，"
                  "权限与您的账号相同。", "Scripts and Excel (Power Query \"From Web\") send Authorization: Bearer TOKEN to the "
                  "data API listed at /api/index.json, with your account's scope."),
    "tok_label": ("用途说明", "Label"),
    "tok_create": ("新建令牌", "New token"),
    "tok_once": ("令牌只显示这一次，请立即复制保存：", "Shown this once: copy it now:"),
    "tok_revoke": ("吊销", "Revoke"),
    "tok_revoked": ("已吊销", "Revoked"),
    "tok_created": ("创建时间", "Created"),
    "tok_used": ("最近使用", "Last used"),
    "d_lineage_scoped": ("载入与被拒绝数据行按文件记录，不能归属到县：仅向全省范围的用户显示。",
                         "Loads and rejected rows are recorded per file, not per county: shown to province-wide users only."),
}

# export files (dashboard/exports.py): column headers, metadata columns, the notes sheet
CATALOG.update({
    "xc_county_code": ("县代码", "County code"),
    "xc_prefecture_code": ("市州代码", "Prefecture code"),
    "xc_village_code": ("村代码", "Village code"),
    "xc_code": ("代码", "Code"),
    "xc_name": ("名称", "Name"),
    "xc_is_poverty_county": ("是否贫困县", "Poverty county"),
    "xc_plan_people": ("本年脱贫人口计划", "People to exit this year (plan)"),
    "xc_actual_people": ("本年脱贫人口", "People exited this year"),
    "xc_plan_before_people": ("往年脱贫人口计划", "People to exit in earlier years (plan)"),
    "xc_cum_actual_people": ("2018年以来累计脱贫人口", "People exited since 2018"),
    "xc_plan_villages": ("本年贫困村退出计划", "Villages to exit this year (plan)"),
    "xc_actual_villages": ("本年退出贫困村", "Villages exited this year"),
    "xc_plan_before_villages": ("往年贫困村退出计划", "Villages to exit in earlier years (plan)"),
    "xc_cum_actual_villages": ("2018年以来累计退出贫困村", "Villages exited since 2018"),
    "xc_villages_total": ("贫困村数", "Poor villages"),
    "xc_expected": ("按进度累计应完成", "Expected to date"),
    "xc_progress": ("累计进度（实际/应完成）", "Progress to date (actual / expected)"),
    "xc_year": ("年度", "Year"),
    "xc_unit": ("单位", "Unit"),
    "xc_plan_households": ("计划（户）", "Plan (households)"),
    "xc_actual_households": ("实际（户）", "Actual (households)"),
    "xc_plan_people_all": ("计划（人）", "Plan (people)"),
    "xc_actual_people_all": ("实际（人）", "Actual (people)"),
    "xc_category": ("贫困村类别", "Village category"),
    "xc_is_deep_village": ("深度贫困村", "Deep-poverty village"),
    "xc_households_total": ("总户数", "Households"),
    "xc_people_total": ("总人口", "People"),
    "xc_lon": ("经度", "Longitude"),
    "xc_lat": ("纬度", "Latitude"),
    "xc_dimension": ("维度", "Dimension"),
    "xc_group": ("类别", "Category"),
    "xc_households": ("户数", "Households"),
    "xc_people": ("人数", "People"),
    "xc_quarter_end": ("季度末", "Quarter end"),
    "xc_quarter": ("季度", "Quarter"),
    "xc_newly_returned": ("本季度新返贫户", "Newly returned households"),
    "xc_villages_exited": ("已退出贫困村", "Villages exited"),
    "xc_exited_people_year": ("本年脱贫人口", "People exited this year"),
    "xc_exited": ("已退出", "Exited"),
    "xc_behind": ("进度滞后", "Behind schedule"),
    "xc_household_id": ("户编号", "Household ID"),
    "xc_head_name": ("户主（脱敏）", "Head (masked)"),
    "xc_head_id": ("证件号码（脱敏）", "ID number (masked)"),
    "xc_household_size": ("人口", "Size"),
    "xc_exit_date": ("脱贫日期", "Exit date"),
    "xc_yes": ("是", "Yes"),
    "xc_no": ("否", "No"),
    "xc_pct": (" %", " %"),
    "xc_scope": ("范围", "Scope"),
    "xc_as_of_quarter": ("截止季度", "As-of quarter"),
    "xc_data": ("数据", "Data"),
    "xc_notes": ("说明", "Notes"),
    "xc_title": ("标题", "Title"),
    "xc_demo": ("数据性质", "Data status"),
    "xc_generated": ("生成时间", "Generated"),
    "xc_rule": ("进度规则", "On-track rule"),
    "xc_formula_note": (
        "以 = + - @、制表符或回车开头的文字前加了单引号 '，以免被电子表格当作公式执行；数字不受影响。",
        "Text starting with = + - @, a tab or a carriage return has a ' in front so spreadsheets never run it as a "
        "formula; numbers are unchanged.",
    ),
})


def t(key: str, lang: str = DEFAULT_LANG, **kw) -> str:
    pair = CATALOG.get(key)
    if pair is None:
        return key
    s = pair[1] if lang == "en" else pair[0]
    return s.format(**kw) if kw else s


_UNITS = {  # unit: (zh suffix, en singular, en plural)
    "people": ("人", "person", "people"),
    "households": ("户", "household", "households"),
    "villages": ("个村", "village", "villages"),
    "counties": ("个县", "county", "counties"),
    "": ("", "", ""),
}


def _trim(x: float, digits: int) -> str:
    s = f"{x:.{digits}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def fmt_number(n, lang: str = DEFAULT_LANG) -> str:
    """A plain number: zh uses 万 above 10,000 (1,890,000 → 189万), en uses thousands separators."""
    if n is None or (isinstance(n, float) and math.isnan(n)):
        return "—"
    if lang == "en":
        return f"{n:,.0f}" if float(n).is_integer() else f"{n:,.1f}"
    if abs(n) >= 10000:
        return _trim(n / 10000, 1) + "万"
    return f"{n:.0f}" if float(n).is_integer() else _trim(n, 1)


def fmt_count(n, unit: str = "people", lang: str = DEFAULT_LANG) -> str:
    """1,890,000 people → '189万人' / '1,890,000 people'; 75 counties → '75个县' / '75 counties'."""
    if n is None or (isinstance(n, float) and math.isnan(n)):
        return "—"
    zh, sg, pl = _UNITS[unit]
    if lang == "en":
        return f"{fmt_number(n, 'en')} {sg if n == 1 else pl}".strip()
    return fmt_number(n, "zh") + zh


def fmt_int(n) -> str:
    """A whole number with thousands separators in either language (tables): 1,234; '—' when missing."""
    return "—" if n is None or (isinstance(n, float) and math.isnan(n)) else f"{int(n):,}"


def fmt_pct(x, lang: str = DEFAULT_LANG, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return _trim(x * 100, digits) + "%"


def fmt_date(d, lang: str = DEFAULT_LANG) -> str:
    """2019-06-30 → '2019年6月30日' / '30 Jun 2019'."""
    if d is None:
        return "—"
    if isinstance(d, str):
        d = dt.date.fromisoformat(d[:10])
    if hasattr(d, "date") and not isinstance(d, dt.date):
        d = d.date()
    if isinstance(d, dt.datetime):
        d = d.date()
    if lang == "en":
        return f"{d.day} {d.strftime('%b')} {d.year}"
    return f"{d.year}年{d.month}月{d.day}日"


def quarter_label(q, lang: str = DEFAULT_LANG) -> str:
    """A Quarter (dashboard.quarter) → '2019年第2季度' / '2019 Q2'."""
    return f"{q.year}年第{q.number}季度" if lang != "en" else f"{q.year} Q{q.number}"
