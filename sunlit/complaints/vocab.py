"""Closed vocabularies of complaints: kinds, categories, channels, statuses, stages, offices, ratings."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Kind(models.TextChoices):
    SUGGESTION = "suggestion", _("Suggestion")  # 建议意见
    COMPLAINT = "complaint", _("Complaint or request")  # 申诉求决
    REPORT = "report", _("Report of wrongdoing")  # 检举控告: handled by the discipline bodies


class Category(models.TextChoices):
    ASSETS = "assets", _("Collective funds, assets and resources")  # 三资
    WORKS = "works", _("Construction projects")  # 工程
    WELFARE = "welfare", _("Subsistence allowance and relief")  # 低保救助
    HOMESTEAD = "homestead", _("Homestead and house building")  # 宅基地建房
    LAND = "land", _("Land requisition compensation")  # 征地补偿
    SUBSIDY = "subsidy", _("Agricultural subsidies")  # 惠农补贴
    OPENNESS = "openness", _("Openness of village affairs")  # 村务公开
    ELECTION = "election", _("Elections")  # 选举
    SEALS = "seals", _("Seals and certificates")  # 印章证明
    CONDUCT = "conduct", _("Work style and conduct")  # 作风
    OTHER = "other", pgettext_lazy("complaint category", "Other")  # 其他


class Channel(models.TextChoices):
    PORTAL = "portal", _("Portal form")  # the public web form
    PHONE = "phone", _("Telephone")  # entered by staff
    LETTER = "letter", _("Letter")  # entered by staff
    VISIT = "visit", _("Visit in person")  # entered by staff
    SMS = "sms", _("Text message")  # the inbound SMS webhook
    OPEN311 = "open311", _("Open311 client")  # POST /open311/v2/requests.json
    API = "api", _("API")  # the native API


STAFF_CHANNELS = (Channel.PHONE, Channel.LETTER, Channel.VISIT)


class Status(models.TextChoices):
    UNVERIFIED = "unverified", _("Awaiting phone verification")  # real-name, code not yet entered; not routed
    RECEIVED = "received", _("Received")  # 待受理: routed to a unit, awaiting its acceptance decision
    ACCEPTED = "accepted", _("Being handled")  # 已受理/办理中: claimed and accepted by the unit
    ANSWERED = "answered", _("Answered")  # 已答复: awaiting the villager's rating or a review request
    CLOSED = "closed", pgettext_lazy("complaint status", "Closed")  # 办结: satisfied, or the windows lapsed
    REFUSED = "refused", _("Not accepted")  # 不予受理: refused with a reason
    DUPLICATE = "duplicate", _("Duplicate")  # 重复件: linked to an earlier complaint


OPEN_STATUSES = (Status.RECEIVED, Status.ACCEPTED)
PUBLIC_STATUSES = (
    Status.RECEIVED,
    Status.ACCEPTED,
    Status.ANSWERED,
    Status.CLOSED,
    Status.REFUSED,
    Status.DUPLICATE,
)


class Stage(models.TextChoices):
    ORIGINAL = "original", _("First handling")  # 办理
    REVIEW = "review", _("Review")  # 复查: by the body above the one that answered
    RE_REVIEW = "re_review", _("Re-review")  # 复核: final


class Office(models.TextChoices):
    """The kind of body that handles a complaint; together with a region it names the unit."""

    TOWNSHIP = "township", _("Township government")  # 乡镇人民政府
    TOWNSHIP_DISCIPLINE = "township_discipline", _("Township discipline commission")  # 乡镇纪委
    RESIDENT_TEAM = "resident_team", _("Resident discipline inspection team")  # 派驻纪检监察组
    COUNTY_DISCIPLINE = "county_discipline", _("County discipline commission")  # 县纪委监委
    COUNTY_CIVIL_AFFAIRS = "county_civil_affairs", _("County civil affairs bureau")  # 县民政局
    COUNTY_NATURAL_RESOURCES = (
        "county_natural_resources",
        _("County natural resources bureau"),
    )  # 县自然资源局
    COUNTY_AGRICULTURE = (
        "county_agriculture",
        _("County agriculture and rural affairs bureau"),
    )  # 县农业农村局
    COUNTY_COMPLAINTS = "county_complaints", _("County letters and visits bureau")  # 县信访局


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")  # 满意: closes
    BASICALLY = "basically", _("Basically satisfied")  # 基本满意: closes
    NOT_SATISFIED = "not_satisfied", _("Not satisfied")  # 不满意: escalates


class MessageAuthor(models.TextChoices):
    REPORTER = (
        "reporter",
        _("Reporter"),
    )  # the villager who filed it (code + secret, or staff on their behalf)
    STAFF = "staff", _("Handler")  # a member of the handling unit
    SYSTEM = "system", pgettext_lazy("message author", "System")  # deadline notices, escalations


class MessageKind(models.TextChoices):
    QUESTION = "question", _("Question to the reporter")  # handler asks; the reporter may reply
    REPLY = "reply", _("Reply")  # reporter's follow-up or answer to a question
    ANSWER = "answer", pgettext_lazy("complaint message", "Answer")  # the formal answer (答复意见)
    NOTICE = "notice", _("Notice")  # acceptance, refusal, extension, escalation


class DeadlineKey(models.TextChoices):
    ACCEPT = "accept", _("Decide on acceptance")  # 15 days (信访工作条例)
    REPORT_ACK = "report_ack", _("Acknowledge a report of wrongdoing")  # 15 working days
    HANDLE = "handle", _("Handle after acceptance")  # 60 days
    EXTENSION_MAX = "extension_max", _("Longest extension")  # 30 days, once
    REVIEW_REQUEST = "review_request", _("Request a review or re-review")  # 30 days after the answer
    REVIEW_ANSWER = "review_answer", _("Answer a review or re-review")  # 30 days
    RATE = "rate", _("Rate the answer")  # after this the answer counts as accepted (closes)


class DayCount(models.TextChoices):
    CALENDAR = "calendar", _("Calendar days")
    WORKING = "working", _("Working days")
