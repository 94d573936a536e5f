namespace FastSpinnRelay.Tunnel.Legacy;

/// <summary>Learns that a <see cref="FrameOutbox"/> which refused frames has room again.</summary>
public interface IFrameOutboxRoomObserver
{
    /// <summary>A writer took the queued frames; called on its thread (any thread), outside the outbox's lock. Must not block.</summary>
    void OnRoom(FrameOutbox outbox);
}
