"""`xrobust list`: what xrobust can do here: tasks (languages, labels), training methods,
attack recipes with the languages each covers, and the encoders usable offline."""

import os


def listing() -> str:
    from xrobust.attacks.recipes import RECIPES
    from xrobust.encoders.packaged import DESCRIPTION
    from xrobust.tasks import TASKS
    from xrobust.robust.objectives import OBJECTIVES

    lines = ["tasks:"]
    for task in TASKS.values():
        lines.append(f"  {task.name:<8} languages {','.join(task.languages)}; labels {','.join(task.label_names)}")
    lines += ["", "training methods (--method):"]
    lines += [f"  {o.name:<18} {o.description}" for o in OBJECTIVES.values()]
    lines += ["", "attack recipes (--recipe):"]
    for recipe in RECIPES.values():
        lines.append(f"  {recipe.name:<18} {recipe.languages}")
    lines += ["", "encoders usable offline (--model):", f"  default            {DESCRIPTION}"]
    lines += [f"  {repo:<18} (Hugging Face cache)" for repo in cached_hub_models()]
    lines.append("  any local folder with a transformers encoder and tokenizer, or an xrobust run's model/")
    return "\n".join(lines)


def cached_hub_models() -> list[str]:
    """Model repositories in the local Hugging Face cache (what `--model ID` can load offline)."""
    try:
        from huggingface_hub import scan_cache_dir

        info = scan_cache_dir(os.environ.get("HF_HUB_CACHE"))
    except Exception:  # no cache folder yet, or an unreadable one: nothing is cached
        return []
    return sorted(repo.repo_id for repo in info.repos if repo.repo_type == "model")
