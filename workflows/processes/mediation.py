"""Domain rules of the mediation process (see ../shared/domain.md §6): configuration defaults and script functions.

The BPMN bundle ``bpmn/mediation`` holds two processes started by users: ``mediation`` (矛盾调处, §6.3)
and ``petition`` (信访, §6.4), which ``mediation`` also calls for petition-type disputes. ``mediation`` is
a flow of four called-only phases — ``mediation_intake`` (受理与分流), ``mediation_sessions`` (调解),
``mediation_agreement`` (协议与司法确认), ``mediation_performance`` (履行与回访) — and ``petition`` calls
``petition_review`` (复查); each is one file of the same name. The functions below are the pure checks
their scripts call; each returns a Chinese reason text (empty when the check passes) so that a refusal
is routed by a gateway and never becomes a script error.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from collections.abc import Callable
from typing import Any

from workflows.calendar import default_calendar
from workflows.validators import ValidationProblem, parse_iso_date

# Every [U] value of domain.md §6 (and the statutory [V] periods, so operators see them in one place):
# name → default. Comments give the domain.md section and the basis.
DEFAULTS: dict[str, Any] = {
    # §0.2(6), §6.1 Duration, §6.3 C3: "一般在一个月内调结" (若干规定 第三十三条) [P] — soft target.
    "mediationMonths": 1,
    # §6.3 C3: non-interrupting warning at P21D of the P1M target, i.e. about 10 days before the end [U].
    "warningDaysBeforeDeadline": 10,
    # §6.3 GC5: extension by consent of both parties, maxExtensions = 1 [U]; each extension P1M.
    "maxExtensions": 1,
    "extensionMonths": 1,
    # §6.1 Labour disputes: no agreement within 15 days of the labour-mediation application → arbitration
    # (劳动争议调解仲裁法 第十四条) [V].
    "labourMediationDays": 15,
    # §6.3 GC2: group dispute when partyCount ≥ massThreshold → escalation to street leadership [U].
    "massThreshold": 5,
    # §6.1 Judicial confirmation: joint application within 30 days of the agreement taking effect
    # (人民调解法 第三十三条; 民事诉讼法 第二百零五条) [V].
    "judicialConfirmationWindowDays": 30,
    # §6.3 GC8: urge performance, re-check after P15D [U]; scenario 9: 2 reminders over 30 days [U].
    "urgeIntervalDays": 15,
    "maxUrges": 2,
    # §6.3 C11, §7: follow-up visit P30D after the performance deadline (or after performance) [U].
    "followUpDays": 30,
    # §6.1 Limitation: civil claims 3 years (民法典 第一百八十八条), interrupted by the mediation request
    # (诉讼时效规定 第十二条) [V]; labour arbitration 1 year (劳动争议调解仲裁法 第二十七条) [V].
    "civilLimitationYears": 3,
    "labourArbitrationYears": 1,
    # §6.1 Enforcement: application within 2 years (民事诉讼法 第二百五十条) [V].
    "enforcementYears": 2,
    # §6.4 P2: written notice of acceptance within 15 days of receipt (信访工作条例 第二十三条) [V].
    "petitionAcceptanceNoticeDays": 15,
    # §6.4 GP1: objection to a misrouted petition within 5 working days (第二十三条) [V].
    "petitionMisroutedObjectionWorkdays": 5,
    # §6.4 P5: decision within 60 days of acceptance, one extension of at most 30 days (第三十四条) [V].
    "petitionDecisionDays": 60,
    "petitionExtensionDays": 30,
    # §6.4 P5: non-interrupting warning at P50D, i.e. 10 days before the decision is due [U].
    "petitionWarningDaysBeforeDue": 10,
    # §6.4 GP3: review (复查) request within 30 days of receiving the written reply (第三十五条) [V].
    "petitionReviewRequestDays": 30,
    # §6.4 GP3: how long after the review period the case still waits for a request sent in time but
    # delivered late (在途时间) [U: not in domain.md; 民事诉讼法 第八十五条 excludes time in transit].
    "petitionReviewTransitDays": 7,
    # §6.4 P1: a group visit elects at most 5 representatives (信访工作条例 第二十条) [V].
    "petitionMaxRepresentatives": 5,
}

_OTHER_CHANNELS = {
    "COURT": "人民法院",
    "POLICE": "公安机关",
    "ADMIN": "行政机关",
    "ARBITRATION": "仲裁机构",
}


def med_acceptability(other_channel_status: str, respondent_consent: str, dispute_type: str) -> str:
    """Return why a dispute cannot be accepted for people's mediation, or '' if it can (§6.3 GC1)."""
    if other_channel_status in _OTHER_CHANNELS:
        organ = _OTHER_CHANNELS[other_channel_status]
        return (
            f"纠纷已由{organ}受理或者处理，人民调解委员会不予受理（人民调解若干规定 第二十二条），"
            f"请当事人向{organ}了解进展"
        )
    if respondent_consent == "NO":
        return (
            "被申请人明确拒绝调解，不得调解（人民调解法 第十七条）；"
            "当事人可以依法向人民法院起诉，涉及治安问题的可以向公安机关报案"
        )
    if dispute_type == "NOT_CIVIL":
        return "不属于民间纠纷，不属于人民调解范围（人民调解法 第二条），请向有关机关反映"
    return ""


def med_add_months(start: str | dt.date, months: int) -> str:
    """Return the day a period of n months from start ends: the corresponding day, or the month's last day."""
    day = parse_iso_date(start)
    if isinstance(months, bool) or not isinstance(months, int) or not 0 <= months <= 120:
        raise ValidationProblem("月数须为0到120之间的整数", "months must be an integer from 0 to 120")
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = _calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last)).isoformat()


def med_mediation_deadline(start: str | dt.date, dispute_type: str, months: int, labour_days: int) -> str:
    """Return the mediation target date: 15 days for labour disputes (劳动争议调解仲裁法 14), else n months."""
    if dispute_type == "LABOUR":
        return (parse_iso_date(start) + dt.timedelta(days=int(labour_days))).isoformat()
    return med_add_months(start, months)


def med_agreement_problem(form: str, applicant: bool, respondent: bool, mediator: bool, sealed: bool) -> str:
    """Return why a mediation agreement has not taken effect, or '' if it has (人民调解法 第二十九、三十条)."""
    if form == "ORAL":
        return ""  # an oral agreement takes effect when reached (第三十条); the record is in the session
    missing = [
        name
        for name, done in (
            ("申请人签名、盖章或者按指印", applicant),
            ("被申请人签名、盖章或者按指印", respondent),
            ("调解员签名", mediator),
            ("人民调解委员会印章", sealed),
        )
        if not done
    ]
    if missing:
        return (
            "调解协议书自各方当事人签名、盖章或者按指印，人民调解员签名并加盖人民调解委员会印章之日起生效；尚缺："
            + "、".join(missing)
        )
    return ""


def med_latest_deadline(obligations: list[dict[str, Any]] | None, effective: str) -> str:
    """Return the latest performance deadline of the agreement's obligations (the effective date if none)."""
    dates = [parse_iso_date(effective)]
    for item in obligations or []:
        if isinstance(item, dict) and item.get("deadline"):
            dates.append(parse_iso_date(item["deadline"]))
    return max(dates).isoformat()


def med_confirmation_problem(
    joint: bool,
    application_date: str,
    effective_date: str,
    window_days: int,
    status_content: bool,
    scope: str,
    real_rights: bool,
    today: str,
) -> str:
    """Return why an application for judicial confirmation cannot be filed, or '' (法 33; 民诉法解释 355)."""
    applied, effective = parse_iso_date(application_date), parse_iso_date(effective_date)
    if applied > parse_iso_date(today):
        return "申请日期不能晚于今天"
    if applied < effective:
        return "申请日期不能早于调解协议生效日期"
    if not joint:
        return "司法确认须双方共同申请（人民调解法 第三十三条）"
    last = default_calendar().add_calendar_days(effective, int(window_days)).date
    if applied > last:
        return (
            f"已超过30日申请期限：调解协议于{effective.isoformat()}生效，"
            f"应当自生效之日起{int(window_days)}日内（至{last.isoformat()}）共同申请司法确认（人民调解法 第三十三条）"
        )
    if status_content and scope != "SEPARATE_PROPERTY_SUPPORT":
        return (
            "涉及婚姻、亲子、收养等身份关系的内容不能申请司法确认，身份关系不予受理（民诉法解释 第三百五十五条）；"
            "可仅就财产分割或者抚养、赡养内容单独申请"
        )
    if real_rights:
        return "确认物权、知识产权归属的内容不予受理司法确认（民诉法解释 第三百五十五条）"
    return ""


def med_window_closed_notice(effective_date: str, window_days: int) -> str:
    """Return the notice that the joint-application window for judicial confirmation has closed."""
    effective = parse_iso_date(effective_date)
    last = default_calendar().add_calendar_days(effective, int(window_days)).date
    return (
        f"已超过30日申请期限：调解协议于{effective.isoformat()}生效，司法确认申请期限已于{last.isoformat()}届满"
        "（人民调解法 第三十三条）；调解协议仍具有法律约束力，当事人应当按照约定履行"
    )


def med_limitation_notice(dispute_type: str, application_date: str, civil_years: int, labour_years: int) -> str:
    """Return the closing notice on other channels and limitation after failed mediation (法 26)."""
    applied = parse_iso_date(application_date).isoformat()
    parts = [
        "调解未达成协议，调解终止（人民调解法 第二十六条）。",
        f"当事人可以依法通过仲裁、行政、司法等途径维护自己的权利：向人民法院提起诉讼的，诉讼时效期间为{int(civil_years)}年"
        f"（民法典 第一百八十八条），自{applied}申请人民调解之日起诉讼时效中断，从中断时起重新计算"
        "（最高人民法院关于审理民事案件适用诉讼时效制度若干问题的规定 第十二条）。",
    ]
    if dispute_type == "LABOUR":
        parts.append(
            f"劳动争议可以向劳动人事争议仲裁委员会申请仲裁，仲裁时效期间为{int(labour_years)}年"
            "（劳动争议调解仲裁法 第二十七条）；自调解申请之日起15日内未达成协议的，可以依法申请仲裁（第十四条）。"
        )
    return "".join(parts)


def med_non_performance_notice(enforceable: bool, from_date: str, enforcement_years: int) -> str:
    """Return what a party may do when the agreement is not performed (民诉法 250 or 人民调解法 32)."""
    start = parse_iso_date(from_date).isoformat()
    if enforceable:
        return (
            f"调解协议经人民法院司法确认有效，对方拒绝履行或者未全部履行的，可以自{start}履行期限届满之日起"
            f"{int(enforcement_years)}年内向作出确认决定的人民法院申请强制执行（民事诉讼法 第二百五十条）。"
        )
    return "对方当事人未履行调解协议，可以就调解协议的履行或者内容向人民法院提起诉讼（人民调解法 第三十二条）。"


def med_follow_up_date(performance_deadline: str, today: str, days: int) -> str:
    """Return the follow-up visit date: days after the performance deadline, or after today if that has passed."""
    planned = parse_iso_date(performance_deadline) + dt.timedelta(days=int(days))
    now = parse_iso_date(today)
    return (planned if planned > now else now + dt.timedelta(days=int(days))).isoformat()


def petition_registration_problem(form: str, representatives: int, max_representatives: int) -> str:
    """Return why a petition registration must be corrected, or '' (信访工作条例 第二十条)."""
    if form == "VISIT" and int(representatives) > int(max_representatives):
        return (
            "多人采用走访形式提出同一信访事项的，应当推选代表，"
            f"代表人数不超过{int(max_representatives)}人（信访工作条例 第二十条）"
        )
    return ""


def petition_review_deadline(reply_date: str, days: int) -> str:
    """Return the last day to request a review (复查): days after the reply, past a final day off (民法典 203)."""
    return default_calendar().add_calendar_days(parse_iso_date(reply_date), int(days)).date.isoformat()


def petition_review_problem(reply_date: str, request_date: str | None, days: int) -> str:
    """Return why a review (复查) request is not accepted, or '' (信访工作条例 第三十五条; 民法典 第二百零三条)."""
    if not request_date:
        return "复查请求未注明提出日期"
    reply, requested = parse_iso_date(reply_date), parse_iso_date(request_date)
    last = parse_iso_date(petition_review_deadline(reply_date, days))
    if requested > last:
        return (
            f"复查请求已超过30日期限：书面答复于{reply.isoformat()}送达，应当自收到之日起{int(days)}日内"
            f"（期间最后一日是法定休假日的，以休假日结束的次日为最后一日，即至{last.isoformat()}）提出，"
            f"{requested.isoformat()}提出的复查请求不予受理（信访工作条例 第三十五条；民法典 第二百零三条）"
        )
    return ""


# Pure functions the process's BPMN scripts and conditions may call, by name.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    f.__name__: f
    for f in (
        med_acceptability,
        med_add_months,
        med_mediation_deadline,
        med_agreement_problem,
        med_latest_deadline,
        med_confirmation_problem,
        med_window_closed_notice,
        med_limitation_notice,
        med_non_performance_notice,
        med_follow_up_date,
        petition_registration_problem,
        petition_review_deadline,
        petition_review_problem,
    )
}
