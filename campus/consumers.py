"""A WebSocket that proves the live path end to end: socket, channel layer, and back."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer


class HealthConsumer(AsyncJsonWebsocketConsumer):
    """On connect, sends itself a message through the channel layer and reports when it arrives,
    so a client (or a test) sees that the layer every live stream relies on is delivering."""

    async def connect(self) -> None:
        await self.accept()
        await self.channel_layer.send(self.channel_name, {"type": "health.echo"})

    async def health_echo(self, event: dict) -> None:
        await self.send_json({"status": "ok", "channel_layer": type(self.channel_layer).__name__})
