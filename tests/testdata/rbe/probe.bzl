"""A probe whose one action runs in rules_pyuv's target-platform exec group and reports
the machine it ran on; and a rule that builds a target for several platforms at once."""

# Tests exercise the internals that sdist_build is built on.
# buildifier: disable=bzl-visibility
load("@rules_pyuv//py/private:interpreter.bzl", "interpreter_executable")

# buildifier: disable=bzl-visibility
load(
    "@rules_pyuv//uv/private:exec_groups.bzl",
    "TARGET_EXEC_GROUP",
    "target_platform_exec_groups",
    "target_platform_toolchains",
)

# Writes: <target os> <target cpu> <`uname -m` of the machine> <python's machine>
# <python major.minor> <salt>.
_SCRIPT = """
import os, platform, subprocess, sys, time
out, sleep, target_os, target_cpu, salt = sys.argv[1:]
time.sleep(float(sleep))
uname = subprocess.run(["uname", "-m"], capture_output=True, text=True, check=True).stdout.strip()
facts = [target_os, target_cpu, uname, platform.machine(), "%d.%d" % sys.version_info[:2], salt]
with open(out, "w") as f:
    f.write(" ".join(facts) + "\\n")
"""

def _platform_probe_impl(ctx):
    toolchains = target_platform_toolchains(ctx)
    out = ctx.actions.declare_file(ctx.label.name + ".txt")
    ctx.actions.run(
        outputs = [out],
        executable = interpreter_executable(toolchains.python),
        arguments = [
            "-c",
            _SCRIPT,
            out.path,
            str(ctx.attr.sleep),
            toolchains.platform.os,
            toolchains.platform.cpu,
            ctx.attr.salt,
        ],
        mnemonic = "PlatformProbe",
        exec_group = TARGET_EXEC_GROUP,
    )
    return [DefaultInfo(files = depset([out]))]

platform_probe = rule(
    implementation = _platform_probe_impl,
    attrs = {
        "salt": attr.string(doc = "Changes the action key, to force a fresh execution."),
        "sleep": attr.int(doc = "Seconds to sleep before writing."),
    },
    exec_groups = target_platform_exec_groups(),
)

def _platforms_transition_impl(_settings, attr):
    return {p: {"//command_line_option:platforms": p} for p in attr.platforms}

_platforms_transition = transition(
    implementation = _platforms_transition_impl,
    inputs = [],
    outputs = ["//command_line_option:platforms"],
)

def _multi_platform_impl(ctx):
    files = []
    for platform, target in ctx.split_attr.target.items():
        for f in target[DefaultInfo].files.to_list():
            link = ctx.actions.declare_file("%s/%s/%s" % (ctx.label.name, platform.split(":")[-1], f.basename))
            ctx.actions.symlink(output = link, target_file = f)
            files.append(link)
    return [DefaultInfo(files = depset(files))]

multi_platform = rule(
    implementation = _multi_platform_impl,
    attrs = {
        "platforms": attr.string_list(mandatory = True),
        "target": attr.label(cfg = _platforms_transition, mandatory = True),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
