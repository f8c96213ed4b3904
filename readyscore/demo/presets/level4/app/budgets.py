"""Token budgets and usage accounting per tenant (monthly, in the database)."""
from datetime import datetime, timezone

from sqlalchemy import Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.config import settings
from app.db import Base, engine


class TenantUsage(Base):
    __tablename__ = "tenant_usage"
    __table_args__ = (UniqueConstraint("tenant", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64), index=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    budget: Mapped[int] = mapped_column(Integer, default=settings.default_monthly_token_budget)


def _month() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m")


def remaining(tenant: str) -> int:
    with Session(engine) as session:
        row = session.scalar(select(TenantUsage).where(TenantUsage.tenant == tenant, TenantUsage.month == _month()))
        if row is None:
            return settings.default_monthly_token_budget
        return row.budget - row.prompt_tokens - row.completion_tokens


def charge(tenant: str, prompt_tokens: int, completion_tokens: int) -> None:
    with Session(engine) as session:
        row = session.scalar(select(TenantUsage).where(TenantUsage.tenant == tenant, TenantUsage.month == _month()))
        if row is None:
            row = TenantUsage(tenant=tenant, month=_month(), prompt_tokens=0, completion_tokens=0)
            session.add(row)
        row.prompt_tokens += prompt_tokens
        row.completion_tokens += completion_tokens
        session.commit()
