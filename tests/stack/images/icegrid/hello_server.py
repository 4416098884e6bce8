"""A minimal Ice server for IceGrid tests: one object `hello` in adapter `Hello`.

IceGrid starts it with --Ice.Config=<generated>; the node supplies the adapter's
endpoints and id. Any Ice.Object answers ice_ping, so no Slice is needed.
"""
import sys

import Ice


class Hello(Ice.Object):
    pass


with Ice.initialize(sys.argv) as communicator:
    adapter = communicator.createObjectAdapter("Hello")
    adapter.add(Hello(), Ice.stringToIdentity("hello"))
    adapter.activate()
    communicator.waitForShutdown()
