"""SQLAlchemy models; the schema itself is built by Alembic migrations."""

from app.models.analysis import (
    HotspotResult,
    Incident,
    IncidentImport,
    MustVisitPoint,
    PatrolHotspot,
)
from app.models.audit import AuditEntry
from app.models.auth import ROLE_NAMES, ApiToken, Role, User
from app.models.base import Base
from app.models.dispatch import (
    Alert,
    AlertEvent,
    PositionReject,
    RadioLogEntry,
    Unit,
    UnitPosition,
    UnitStatusChange,
)
from app.models.geo import (
    Area,
    Building,
    Camera,
    CameraRoad,
    DataVersion,
    GridCell,
    Landcover,
    Poi,
    Road,
    RoadEdge,
)

__all__ = ["ROLE_NAMES", "Alert", "AlertEvent", "ApiToken", "Area", "AuditEntry", "Base",
           "Building", "Camera", "CameraRoad", "DataVersion", "GridCell", "HotspotResult",
           "Incident", "IncidentImport", "Landcover", "MustVisitPoint", "PatrolHotspot", "Poi",
           "PositionReject", "RadioLogEntry", "Road", "RoadEdge", "Role", "Unit",
           "UnitPosition", "UnitStatusChange", "User"]
