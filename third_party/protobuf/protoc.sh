#!/bin/sh
# Debian's protoc; its well-known types are under /usr/include.
exec /usr/bin/protoc -I/usr/include "$@"
