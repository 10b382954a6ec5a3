"""Value round trips between Python and Starlark."""

def echo(x):
    return x

def describe(x):
    return {"type": type(x), "str": str(x)}

def make_struct(**kwargs):
    return struct(**kwargs)

def apply(f, *args, **kwargs):
    return f(*args, **kwargs)

def here():
    return Label(":values.bzl")

def json_cases():
    data = {"b": [1, 2.5, None, True], "a": {"z": "x\n", "y": []}, "c": struct(k = 1, j = "v")}
    encoded = json.encode(data)
    return {
        "encoded": encoded,
        "decoded": json.decode(encoded),
        "default": json.decode("{not json", default = None),
    }

def print_things():
    # buildifier: disable=print
    print("hello", 1, struct(a = 1))

LIMITS = {"python_versions": ("3.10", "3.11"), "max": 3}

def formatted(label_string):
    label = Label(label_string)
    return {"percent": "%s" % label, "format": "{}/x".format(label), "str": str(label)}
