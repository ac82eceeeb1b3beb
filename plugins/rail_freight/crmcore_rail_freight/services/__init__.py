"""The rail plugin's use cases, one service per capability, reached through :func:`rail`::

    from crmcore_rail_freight.services import rail

    r = rail(crm)
    r.stations.load(admin, parse_register(text))
    check = r.qualification.record(me, "C000001", QualificationFacts(...))
    r.certificates.apply(me, "C000001")
    r.volumes.file(me, "C000001", 2027, figures, Signing(signer="张三", sealed=True))
    r.operations.fulfilment(me, "C000001", 2027, by="direction")

Like the core's services, every method takes an Actor (one transaction of its own) or a Tx
(joins the caller's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crmcore import Crm

    from .certificates import CertificateService
    from .operations import OperationsService
    from .qualification import QualificationService
    from .stations import StationService
    from .volumes import VolumeService


class Rail:
    def __init__(self, crm: Crm) -> None:
        from .certificates import CertificateService
        from .operations import OperationsService
        from .qualification import QualificationService
        from .stations import StationService
        from .volumes import VolumeService

        self.stations: StationService = StationService(crm)
        self.qualification: QualificationService = QualificationService(crm)
        self.certificates: CertificateService = CertificateService(crm)
        self.volumes: VolumeService = VolumeService(crm)
        self.operations: OperationsService = OperationsService(crm)


def rail(crm: Crm) -> Rail:
    """The rail services of ``crm`` (made once per Crm)."""
    services = crm.__dict__.get("_rail_services")
    if services is None:
        services = crm.__dict__["_rail_services"] = Rail(crm)
    return services
