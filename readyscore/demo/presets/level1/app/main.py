"""tealeaf-gateway: a chat API in front of the OpenAI API. Prototype - works on my machine."""
import requests
import uvicorn
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware

# TODO move to env before launch
OPENAI_API_KEY = "sk-proj-DEMO0KEY0readyscore0fixture0not0a0real0key0000"
OPENAI_URL = "https://api.openai.com/v1/chat/completions"

app = FastAPI(debug=True)

app.add_middleware(
    CORSMiddleware,
    allow_origins=["*"],
    allow_credentials=True,
    allow_methods=["*"],
    allow_headers=["*"],
)

# conversation history per user
CONVERSATIONS = {}


@app.get("/health")
def health():
    return {"status": "ok"}


@app.post("/v1/chat/completions")
async def chat(request: Request):
    body = await request.json()
    user = body.get("user", "anonymous")
    history = CONVERSATIONS.setdefault(user, [])
    history.extend(body["messages"])
    upstream = requests.post(
        OPENAI_URL,
        headers={"Authorization": f"Bearer {OPENAI_API_KEY}"},
        json={"model": body.get("model", "gpt-4o-mini"), "messages": history,
              "max_tokens": body.get("max_tokens"), "temperature": body.get("temperature", 1)},
    )
    answer = upstream.json()
    history.append(answer["choices"][0]["message"])
    return answer


@app.get("/history/{user}")
def get_history(user: str):
    return CONVERSATIONS.get(user, [])


if __name__ == "__main__":
    uvicorn.run(app, host="0.0.0.0", port=8000)
