"""推荐系统 (seed §2.1): a user's profile and the item catalogue → top-k recommendations.

The two fetches are independent, so they compile to the two branches of a Parallel state; the
seed's explicit `recs.set_upstream([user_data, item_data])` repeats the data edges, harmlessly.
"""

from __future__ import annotations

from typing import Any

from functions._fake import rng, simulate_latency
from orchestrator import Flow, Parameter, task

CATEGORIES = ("electronics", "apparel", "grocery", "home", "beauty", "books", "sports")
CATALOGUE_VERSION = "catalogue-v1"


@task(max_retries=2)
def fetch_user_profile(user_id: str) -> dict[str, Any]:
    """Read the user's profile from the (simulated) profile store."""
    simulate_latency()
    r = rng("profile", user_id)
    interests = {c: round(r.random(), 3) for c in r.sample(CATEGORIES, 3)}
    return {
        "user_id": user_id,
        "city": r.choice(["上海", "北京", "深圳", "杭州", "成都"]),
        "interests": interests,
        "recently_bought": [f"item-{r.randint(0, 59):03d}" for _ in range(3)],
    }


@task(max_retries=2)
def fetch_items(limit: int = 60) -> list[dict[str, Any]]:
    """Read the active catalogue; it is the same for every user, so it is seeded by version."""
    simulate_latency()
    r = rng(CATALOGUE_VERSION)
    return [
        {
            "item_id": f"item-{i:03d}",
            "category": r.choice(CATEGORIES),
            "price": round(r.uniform(9.9, 999), 2),
            "popularity": round(r.random(), 3),
        }
        for i in range(limit)
    ]


@task
def generate_recommendations(
    user: dict[str, Any], items: list[dict[str, Any]], k: int = 5
) -> dict[str, Any]:
    """Score items by interest × popularity, skip what the user just bought, keep the top k."""
    owned = set(user["recently_bought"])
    scored = [
        (round(user["interests"].get(item["category"], 0.05) * item["popularity"], 4), item)
        for item in items
        if item["item_id"] not in owned
    ]
    # Ties are broken by item id so the ranking never depends on input order.
    scored.sort(key=lambda pair: (-pair[0], pair[1]["item_id"]))
    return {
        "user_id": user["user_id"],
        "items": [
            {"item_id": item["item_id"], "category": item["category"], "score": score}
            for score, item in scored[:k]
        ],
    }


with Flow("推荐系统") as recommendations:
    user_id = Parameter("user_id", default="u-1001")
    k = Parameter("k", default=5)
    user_data = fetch_user_profile(user_id)
    item_data = fetch_items()
    recs = generate_recommendations(user_data, item_data, k)
    recs.set_upstream([user_data, item_data])
