def handle(ctx, payload):
    name = "Noone"
    place = "Nowhere"
    if payload:
        name = payload.get("name", name)
    if ctx and ctx.get("secrets"):
        place = ctx["secrets"].get("place", place)
    print("messages to stdout show up in logs")
    return {"myField": "Hello, %s from %s" % (name, place)}
