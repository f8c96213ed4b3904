"""Infrastructure as code (Terraform, CloudFormation, Pulumi) as one list of typed resources.

Types are compared in a normalised form (lower case, letters and digits only), so Terraform's
`aws_wafv2_web_acl`, CloudFormation's `AWS::WAFv2::WebACL` and Pulumi's `aws.wafv2.WebAcl` are all
`awswafv2webacl...`. Attribute values are literals where the source has literals; anything computed
stays as its source text and is judged as "not evaluated", never as set.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from readyscore.executors.deploy import hcl
from readyscore.executors.deploy.findings import RuleOutcome
from readyscore.executors.deploy.inventory import Inventory
from readyscore.executors.deploy.yamldoc import YMap

REGION = re.compile(
    r"\b((?:us|eu|ap|sa|ca|me|af|il|mx)-(?:gov-)?(?:east|west|north|south|central|northeast|southeast|northwest|"
    r"southwest)-\d|(?:us|europe|asia|australia|northamerica|southamerica|me|africa)-(?:east|west|central|north|"
    r"south|northeast|southeast|southwest|northwest)\d|eastus2?|westus[23]?|centralus|northeurope|westeurope|uksouth|"
    r"ukwest|francecentral|germanywestcentral|swedencentral|japaneast|japanwest|southeastasia|eastasia|australiaeast|"
    r"canadacentral|brazilsouth|koreacentral|centralindia|southcentralus|northcentralus|switzerlandnorth|norwayeast)\b")
_PULUMI_CODE_TYPE = re.compile(r"\b(aws|gcp|azure|azure_native|azure-native|cloudflare)\.([a-z0-9_]+)\.([A-Za-z0-9]+)\b")
PULUMI_CODE_SUFFIXES = (".py", ".ts", ".js", ".go", ".cs")


def norm(type_: str) -> str:
    return re.sub(r"[^a-z0-9]", "", type_.lower())


@dataclass
class Resource:
    type: str
    name: str
    path: str
    line: int
    tool: str  # terraform | cloudformation | pulumi
    props: dict[str, Any] = field(default_factory=dict)
    block: hcl.Block | None = None
    prop_lines: dict[str, int] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return norm(self.type)

    def prop(self, *names: str) -> Any:
        """The first of `names` that is set (Terraform snake_case or CloudFormation PascalCase)."""
        for name in names:
            if self.block is not None and (attr := self.block.attr(name)) is not None:
                return attr.value if attr.literal else f"<expr {attr.value}>"
            if name in self.props:
                return self.props[name]
        return None

    def line_of(self, *names: str) -> int:
        for name in names:
            if self.block is not None and (attr := self.block.attr(name)) is not None:
                return attr.line
            if name in self.prop_lines:
                return self.prop_lines[name]
        return self.line

    def nested(self, *path: str) -> hcl.Block | None:
        block = self.block
        for part in path:
            children = block.children(part) if block is not None else []
            block = children[0] if children else None
        return block


def resources(inv: Inventory) -> list[Resource]:
    if "iac.resources" not in inv.cache:
        inv.cache["iac.resources"] = _resources(inv)
    return inv.cache["iac.resources"]


def _resources(inv: Inventory) -> list[Resource]:
    out: list[Resource] = []
    for path, root in inv.terraform:
        for block in root.blocks:
            if block.type == "resource" and len(block.labels) >= 2:
                out.append(Resource(block.labels[0], block.labels[1], path, block.line, "terraform", block=block))
    for doc in [*inv.yaml_docs, *inv.json_docs]:
        data = doc.data
        if not isinstance(data, dict):
            continue
        cfn = data.get("Resources")
        if isinstance(cfn, dict):
            for name, spec in cfn.items():
                if isinstance(spec, dict) and isinstance(spec.get("Type"), str) and "::" in spec["Type"]:
                    props = spec.get("Properties") if isinstance(spec.get("Properties"), dict) else {}
                    lines = dict(props.key_lines) if isinstance(props, YMap) else {}
                    line = cfn.line_of(name) if isinstance(cfn, YMap) else 1
                    out.append(Resource(spec["Type"], str(name), doc.path, line, "cloudformation", props, None, lines))
        pulumi = data.get("resources") if posixpath.basename(doc.path).startswith("Pulumi.") else None
        if isinstance(pulumi, dict):
            for name, spec in pulumi.items():
                if isinstance(spec, dict) and isinstance(spec.get("type"), str):
                    props = spec.get("properties") if isinstance(spec.get("properties"), dict) else {}
                    lines = dict(props.key_lines) if isinstance(props, YMap) else {}
                    line = pulumi.line_of(name) if isinstance(pulumi, YMap) else 1
                    out.append(Resource(spec["type"], str(name), doc.path, line, "pulumi", props, None, lines))
    out.extend(_pulumi_code(inv))
    return out


def _pulumi_code(inv: Inventory) -> list[Resource]:
    """Resource types named in the code of a Pulumi program (presence only; arguments are code)."""
    if inv.files is None:
        return []
    projects = {posixpath.dirname(f.rel) for f in inv.files.files if posixpath.basename(f.rel) == "Pulumi.yaml"}
    out: list[Resource] = []
    for project in projects:
        prefix = f"{project}/" if project else ""
        for entry in [f for f in inv.files.files if f.rel.startswith(prefix) and f.rel.endswith(PULUMI_CODE_SUFFIXES)][:200]:
            text = inv.files.read_text(entry.rel, limit=512 * 1024)
            for number, line in enumerate((text or "").splitlines(), start=1):
                for match in _PULUMI_CODE_TYPE.finditer(line):
                    out.append(Resource(match.group(0), "?", entry.rel, number, "pulumi"))
    return out


def regions(inv: Inventory) -> dict[str, tuple[str, int]]:
    """Each distinct region named by IaC provider/resource settings -> where it was first seen."""
    found: dict[str, tuple[str, int]] = {}
    for path, root in inv.terraform:
        for block in root.walk():
            for name, attr in block.attributes.items():
                if "region" in name or "location" in name or name in ("replica_regions", "regions"):
                    for region in REGION.findall(str(attr.value)):
                        found.setdefault(region, (path, attr.line))
    for doc in inv.yaml_docs:
        if posixpath.basename(doc.path).startswith("Pulumi.") and isinstance(doc.data, YMap):
            config = doc.data.get("config")
            if isinstance(config, YMap):
                for key, value in config.items():
                    if str(key).endswith((":region", ":location")):
                        for region in REGION.findall(str(value)):
                            found.setdefault(region, (doc.path, config.line_of(key)))
    for resource in resources(inv):
        if resource.tool == "cloudformation":
            for key in ("Regions", "Region", "ReplicaRegions"):
                for region in REGION.findall(str(resource.props.get(key, ""))):
                    found.setdefault(region, (resource.path, resource.line_of(key)))
    return found


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


DB_KINDS = ("awsdbinstance", "awsrdsdbinstance", "awsrdscluster", "awsrdsdbcluster", "googlesqldatabaseinstance",
            "azurermpostgresqlflexibleserver", "azurermmysqlflexibleserver", "awsdocdbcluster")


def rule_managed_db_resilient(inv: Inventory) -> RuleOutcome:
    outcome = RuleOutcome(what="managed databases")
    cluster_instances = sum(1 for r in resources(inv) if r.kind in ("awsrdsclusterinstance", "awsrdsdbinstance")
                            and r.tool == "terraform")
    for db in [r for r in resources(inv) if r.kind.startswith(DB_KINDS) and not r.kind.startswith("awsrdsclusterinstance")]:
        missing = []
        if db.kind.startswith("googlesqldatabaseinstance"):
            settings = db.nested("settings")
            availability = settings.attr("availability_type") if settings else None
            backup = db.nested("settings", "backup_configuration")
            enabled = backup.attr("enabled") if backup else None
            if not (availability and availability.value == "REGIONAL"):
                missing.append("availability_type = REGIONAL")
            if not (enabled and enabled.value is True):
                missing.append("backup_configuration.enabled")
        elif db.kind.startswith("azurerm"):
            if db.nested("high_availability") is None:
                missing.append("high_availability")
            retention = _number(db.prop("backup_retention_days"))
            if retention is not None and retention < 1:
                missing.append("backup_retention_days >= 1")
        else:
            retention = _number(db.prop("backup_retention_period", "BackupRetentionPeriod"))
            if retention is None or retention < 1:
                missing.append("backup retention (backup_retention_period / BackupRetentionPeriod >= 1)")
            if db.kind in ("awsdbinstance", "awsrdsdbinstance"):
                if not _true(db.prop("multi_az", "MultiAZ")):
                    missing.append("multi-AZ (multi_az / MultiAZ)")
            elif cluster_instances < 2 and not db.prop("availability_zones", "AvailabilityZones"):
                missing.append("instances in at least two availability zones")
        where = f"{db.type} {db.name}"
        if missing:
            outcome.bad(db.path, db.line, f"{where}: missing {'; '.join(missing)}")
        else:
            outcome.good(db.path, db.line, f"{where}: backups and multi-AZ/regional availability set")
    if not outcome.findings:
        outcome.not_applicable = "no managed database in the infrastructure code"
    return outcome


# (kind prefix, attribute names that must be true, nested block that must have enabled = true)
ENCRYPTION_RULES = (
    ("awsdbinstance", ("storage_encrypted",), None),
    ("awsrdscluster", ("storage_encrypted",), None),
    ("awsrdsdbinstance", ("StorageEncrypted",), None),
    ("awsrdsdbcluster", ("StorageEncrypted",), None),
    ("awsebsvolume", ("encrypted",), None),
    ("awsec2volume", ("Encrypted",), None),
    ("awsefsfilesystem", ("encrypted", "Encrypted"), None),
    ("awselasticachereplicationgroup", ("at_rest_encryption_enabled", "AtRestEncryptionEnabled"), None),
    ("awsredshiftcluster", ("encrypted", "Encrypted"), None),
    ("awsopensearchdomain", (), "encrypt_at_rest"),
    ("awselasticsearchdomain", (), "encrypt_at_rest"),
)


def rule_encryption_at_rest(inv: Inventory) -> RuleOutcome:
    outcome = RuleOutcome(what="data stores")
    for resource in resources(inv):
        if resource.tool == "pulumi" and not resource.props:
            continue  # code-defined: arguments are not readable
        rule = next((r for r in ENCRYPTION_RULES if resource.kind == r[0]), None)
        if rule is None:
            continue
        _, attributes, block_name = rule
        where = f"{resource.type} {resource.name}"
        if block_name:
            block = resource.nested(block_name)
            enabled = block.attr("enabled") if block else None
            ok = bool(enabled and enabled.value is True)
            line = enabled.line if enabled else resource.line
        else:
            ok = any(_true(resource.prop(a)) for a in attributes)
            line = resource.line_of(*attributes)
        if ok:
            outcome.good(resource.path, line, f"{where}: encrypted at rest")
        else:
            outcome.bad(resource.path, line, f"{where}: encryption at rest not enabled ({' / '.join(attributes or (block_name,))})")
    if not outcome.findings:
        outcome.not_applicable = "no data store whose encryption must be switched on (providers encrypt the rest by default)"
    return outcome
