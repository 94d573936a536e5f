using System.Net.Sockets;

namespace FastSpinnRelay.Tunnel.Legacy;

/// <summary>Why a spinnaker_proxy TCP connection ended. The first cause recorded wins.</summary>
public enum StreamCloseReason : byte
{
    /// <summary>The peer closed its side between frames (an orderly end).</summary>
    PeerClosed,

    /// <summary>The peer closed its side inside a frame; the partial frame is lost.</summary>
    PeerClosedMidFrame,

    /// <summary>The peer reset or aborted the connection.</summary>
    Reset,

    /// <summary>A length prefix announced more than the maximum; the stream cannot be trusted after that.</summary>
    FrameTooLarge,

    /// <summary>Reading failed for another reason.</summary>
    ReadFailed,

    /// <summary>Writing failed; the frames of that write are lost.</summary>
    WriteFailed,

    /// <summary>A write made no progress for the write timeout (the peer stopped reading).</summary>
    WriteStalled,

    /// <summary>This side closed it (idle expiry, shutdown).</summary>
    ClosedLocally,

    /// <summary>A bug in a frame handler; logged with the exception.</summary>
    Fault,
}

/// <summary>How a connection ended: the reason, a detail (the announced length, or bytes lost mid-frame), the
/// socket error if any, and a sentence for logs.</summary>
public readonly record struct StreamClose(StreamCloseReason Reason, long Detail, SocketError SocketError, string Description)
{
    /// <summary>True for ends a peer causes routinely (closing, resetting); false for protocol violations and faults.</summary>
    public bool IsOrderly => Reason is StreamCloseReason.PeerClosed or StreamCloseReason.Reset or StreamCloseReason.ClosedLocally;

    public override string ToString() => Description;
}
