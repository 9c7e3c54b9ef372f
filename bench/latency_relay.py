#!/usr/bin/env python3
"""latency_relay.py LISTEN_PORT TARGET_PORT DELAY_MS: a loopback TCP relay that holds every chunk
the client sends for DELAY_MS before passing it on (answers flow back at once), so each request
costs one extra round trip of DELAY_MS, as over a real network. This kernel has no netem.
Prints "ready" on stdout once listening."""
import asyncio
import sys


async def pump_delayed(reader, writer, delay):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def deliver():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        writer.close()

    task = asyncio.create_task(deliver())
    try:
        while data := await reader.read(65536):
            queue.put_nowait((loop.time() + delay, data))
    finally:
        queue.put_nowait((0, None))
        await task


async def pump(reader, writer):
    try:
        while data := await reader.read(262144):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


async def main():
    listen_port, target_port, delay = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) / 1000

    async def handle(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pump_delayed(client_reader, server_writer, delay),
                             pump(server_reader, client_writer), return_exceptions=True)

    server = await asyncio.start_server(handle, "127.0.0.1", listen_port, backlog=1024)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
