"""Renders the hub's `//:variant` flag (variants.bzl) into its root BUILD file."""

load(":starlark_quote.bzl", "render_call")

def render_variant_flag(plan):
    """The root BUILD text of the variant flag: "" when the lock declares no conflicts.

    Args:
      plan: the plan from plan_hub.

    Returns:
      The text, to follow the root's load of hub_rules.bzl's variant_flag.
    """
    variants = plan.get("variants", {"variants": []})
    if not variants["variants"]:
        return ""
    return "".join([
        "\n# The lock's conflicting extras and groups (tool.uv.conflicts): at most one of each\n",
        "# set, e.g. --@<hub>//:variant=cpu; \"none\" for none.\n",
        render_call("variant_flag", [
            ("name", "variant"),
            ("build_setting_default", variants["variants"][0]["name"]),
            ("lockfile", plan["lockfile"]),
            ("sets", json.encode(variants["sets"])),
            ("values", [v["name"] for v in variants["variants"]]),
        ]),
        "\n",
    ])
