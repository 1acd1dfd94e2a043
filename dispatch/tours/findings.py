"""What a video operator may flag, and what each flag becomes.

A finding is a place and a time seen on a camera, never a person (docs/product.md:
places, not persons). It becomes an incident of the common category its kind maps to
(so the analyses count it) or a red alert at the place the camera watches.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from dispatch.labels import LabelledEnum


class FindingKind(LabelledEnum):
    """What was seen; the value is the code stored with the finding."""

    THEFT = "theft", "Theft, pickpocketing", "盗窃、扒窃"
    ROBBERY = "robbery", "Robbery, snatching", "抢劫抢夺"
    VEHICLE_CRIME = "vehicle_crime", "Vehicle or motorcycle theft", "盗窃车辆"
    VIOLENCE = "violence", "Fight, assault", "打架斗殴"
    DAMAGE = "criminal_damage", "Damage, arson", "毁坏财物、放火"
    PUBLIC_ORDER = "public_order", "Public order, gathering", "扰乱秩序、聚集"
    SUSPICIOUS = "suspicious", "Suspicious activity", "可疑情况"
    TRAFFIC = "traffic_accident", "Traffic accident", "交通事故"
    OTHER = "other", "Other", "其他"

    @property
    def category(self) -> str:
        """The common incident category (data/incident_categories.json) it becomes."""
        return CATEGORY_OF[self]


CATEGORY_OF: Mapping[FindingKind, str] = MappingProxyType({
    FindingKind.THEFT: "theft", FindingKind.ROBBERY: "robbery",
    FindingKind.VEHICLE_CRIME: "vehicle_crime", FindingKind.VIOLENCE: "violence",
    FindingKind.DAMAGE: "criminal_damage", FindingKind.PUBLIC_ORDER: "public_order",
    FindingKind.SUSPICIOUS: "other", FindingKind.TRAFFIC: "non_crime",
    FindingKind.OTHER: "other",
})


class FindingOutcome(LabelledEnum):
    """What the finding became."""

    INCIDENT = "incident", "Incident on the map", "地图上的警情"
    ALERT = "alert", "Red alert", "红色预警"
