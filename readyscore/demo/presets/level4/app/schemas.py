from typing import Literal

from pydantic import BaseModel, Field

from app.config import settings


class Message(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str = Field(min_length=1, max_length=32_000)


class ChatRequest(BaseModel):
    model: str = Field(default="gpt-4o-mini", max_length=100)
    messages: list[Message] = Field(min_length=1, max_length=100)
    temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    max_tokens: int = Field(default=512, ge=1, le=settings.max_tokens_cap)
    n: int = Field(default=1, ge=1, le=4)
