"""An alert's status and its kinds, with their console labels.

An alert is ``open`` when raised, ``dispatched`` once a unit is sent, ``closed`` at the
end. Its kind is free text (the console's field, the API's ``kind``, a terminal's
``alert_kind``), at most 64 characters: an operator may type anything, and what they type
is kept and shown as it is. The kinds named here are the usual ones — the common incident
categories (``data/incident_categories.json``, with the same labels), the flags of the
video operators (:class:`dispatch.tours.findings.FindingKind`) and a few dispatch calls —
and a kind given by one of these codes is shown by its label in the reader's language, in
the console and in the radio order's two halves.
"""

from __future__ import annotations

from dispatch.labels import LabelledEnum


class AlertStatus(LabelledEnum):
    """Where an alert stands; the value is the code stored and sent over the API."""

    OPEN = "open", "Open", "待处置"
    DISPATCHED = "dispatched", "Units dispatched", "已派警"
    CLOSED = "closed", "Closed", "已结束"


class AlertKind(LabelledEnum):
    """The usual kinds of alert; the value is the code an alert's ``kind`` holds."""

    BURGLARY = "burglary", "Burglary", "入室盗窃"
    ROBBERY = "robbery", "Robbery", "抢劫抢夺"
    THEFT = "theft", "Theft", "盗窃"
    VEHICLE_CRIME = "vehicle_crime", "Vehicle crime", "涉车盗窃"
    VIOLENCE = "violence", "Violence against the person", "暴力侵害"
    SEXUAL_OFFENCE = "sexual_offence", "Sexual offence", "性侵害"
    CRIMINAL_DAMAGE = "criminal_damage", "Criminal damage and arson", "毁坏财物与放火"
    DRUGS = "drugs", "Drugs", "毒品"
    WEAPONS = "weapons", "Weapons", "枪支管制刀具"
    PUBLIC_ORDER = "public_order", "Public order", "扰乱公共秩序"
    ANTI_SOCIAL_BEHAVIOUR = "anti_social_behaviour", "Anti-social behaviour", "滋扰行为"
    FRAUD = "fraud", "Fraud and forgery", "诈骗与伪造"
    NON_CRIME = "non_crime", "Non-crime report", "非刑事警情"
    OTHER = "other", "Other", "其他"
    SUSPICIOUS = "suspicious", "Suspicious activity", "可疑情况"
    TRAFFIC_ACCIDENT = "traffic_accident", "Traffic accident", "交通事故"
    FIGHT = "fight", "Fight", "打架斗殴"
    FIRE = "fire", "Fire", "火警"
    MEDICAL = "medical", "Medical emergency", "急救"
    MISSING_PERSON = "missing_person", "Missing person", "人员走失"
    DISTURBANCE = "disturbance", "Disturbance", "纠纷滋扰"


GENERIC_KIND = "alert"
"""The kind an order names when the alert has none: the orders then say only "alert"."""


def alert_kind_label(kind: str, *, zh: bool) -> str:
    """The label of an alert's kind in Chinese or English.

    Parameters
    ----------
    kind : str
        An alert's kind, as stored.
    zh : bool, keyword-only
        Chinese rather than English.

    Returns
    -------
    str
        The label of the :class:`AlertKind` whose code ``kind`` is; ``kind`` as it is
        otherwise.
    """
    try:
        member = AlertKind(kind)
    except ValueError:
        return kind
    return member.label_zh if zh else member.label_en
