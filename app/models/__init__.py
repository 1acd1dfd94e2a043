"""SQLAlchemy models; the schema itself is built by Alembic migrations."""

from app.models.analysis import (
    HotspotResult,
    Incident,
    IncidentCategoryMap,
    IncidentImport,
    MustVisitPoint,
    PatrolHotspot,
)
from app.models.audit import AuditChainHead, AuditEntry
from app.models.auth import ROLE_NAMES, ApiToken, Role, User
from app.models.base import Base
from app.models.dispatch import (
    Alert,
    AlertEvent,
    ConsoleAlarm,
    PositionReject,
    RadioLogEntry,
    Unit,
    UnitPosition,
    UnitStatusChange,
)
from app.models.evidence import CoverageDirty, CoverageState, CoverageZone, EvidencePlan
from app.models.geo import (
    Area,
    Building,
    Camera,
    CameraCatalogEntry,
    CameraRoad,
    DataVersion,
    GridCell,
    Landcover,
    Poi,
    Road,
    RoadEdge,
)
from app.models.ingest import IngestMessage, IngestStatus, RadioAssignment
from app.models.jobs import JOB_STATES, Job, JobFile
from app.models.passages import Checkpoint, Passage, PassageUpload
from app.models.planning import (
    APSCHEDULER_JOBS,
    OverdueNotice,
    PatrolPlan,
    PlanRoute,
    RosterEntry,
    Station,
)
from app.models.series import IncidentSeries, IncidentSeriesMember
from app.models.tours import Tour, TourRun, TourShown, TourStop, VideoFinding
from app.models.video import (
    MAINTAINER_KINDS,
    CameraBaseline,
    CameraHealth,
    CameraHealthCheck,
    CameraMaintainer,
    CameraStatusChange,
    LiveView,
    Maintainer,
    MaintainerMember,
    MaintenanceTicket,
    MaintenanceTicketNote,
)

__all__ = ["APSCHEDULER_JOBS", "MAINTAINER_KINDS", "Alert", "AlertEvent", "ApiToken", "Area",
           "CameraBaseline", "CameraHealth", "CameraHealthCheck", "CameraMaintainer",
           "CameraStatusChange", "LiveView", "Maintainer", "MaintainerMember", "MaintenanceTicket",
           "AuditChainHead", "AuditEntry", "Base", "Building", "Camera", "CameraCatalogEntry",
           "CameraRoad", "Checkpoint", "MaintenanceTicketNote", "Passage", "PassageUpload",
           "ConsoleAlarm", "CoverageDirty", "CoverageState", "CoverageZone", "DataVersion",
           "EvidencePlan", "GridCell", "HotspotResult", "Incident", "IncidentCategoryMap",
           "IncidentImport", "IncidentSeries", "IncidentSeriesMember", "IngestMessage",
           "IngestStatus", "JOB_STATES", "Job", "JobFile", "Landcover",
           "MustVisitPoint",
           "OverdueNotice", "PatrolHotspot",
           "PatrolPlan", "PlanRoute", "Poi", "PositionReject", "ROLE_NAMES",
           "RadioAssignment", "RadioLogEntry", "Road", "RoadEdge", "Role", "RosterEntry",
           "Station", "Tour", "TourRun", "TourShown", "TourStop", "VideoFinding",
           "Unit", "UnitPosition", "UnitStatusChange", "User"]
