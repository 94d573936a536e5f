namespace FastSpinnRelay.Tunnel;

/// <summary>A snapshot of a session's counters (64-bit totals since the session started).</summary>
public readonly record struct TunnelSessionCounters
{
    /// <summary>Reliable frames (OPEN, CLOSE, DATA) queued for sending.</summary>
    public long ReliableFramesQueued { get; init; }

    /// <summary>Reliable frames written again after a resume.</summary>
    public long ReliableFramesRetransmitted { get; init; }

    /// <summary>Reliable frames received in sequence and handled.</summary>
    public long ReliableFramesReceived { get; init; }

    /// <summary>Reliable frames received twice (after a resume) and dropped.</summary>
    public long DuplicatesDropped { get; init; }

    /// <summary>Latest-class datagrams queued for sending.</summary>
    public long LatestDatagramsQueued { get; init; }

    /// <summary>Latest-class datagrams dropped from the send queue (oldest first) or too large for it.</summary>
    public long LatestDatagramsDropped { get; init; }

    /// <summary>Bytes of the datagrams in <see cref="LatestDatagramsDropped"/>.</summary>
    public long LatestBytesDropped { get; init; }

    /// <summary>Latest-class datagrams received and delivered.</summary>
    public long LatestDatagramsReceived { get; init; }

    /// <summary>BATCH frames written.</summary>
    public long BatchesSent { get; init; }

    /// <summary>BATCH frames written compressed.</summary>
    public long BatchesCompressed { get; init; }

    /// <summary>Record bytes put into batches (before compression).</summary>
    public long BatchRawBytes { get; init; }

    /// <summary>Bytes of those batches on the wire (header, and compressed size where compressed).</summary>
    public long BatchWireBytes { get; init; }

    /// <summary>Datagrams that arrived for a channel that is not open (normal when a CLOSE crosses data).</summary>
    public long DatagramsForClosedChannels { get; init; }

    /// <summary>Exceptions thrown by channel handlers (caught; the tunnel carried on).</summary>
    public long HandlerFaults { get; init; }

    /// <summary>PING frames written (keepalive).</summary>
    public long PingsSent { get; init; }

    /// <summary>PONG frames received (answers to our keepalive).</summary>
    public long PongsReceived { get; init; }

    /// <summary>Connections this session was carried by.</summary>
    public long Connections { get; init; }

    /// <summary>
    /// Bytes of whole frames read from the connection (headers included; after the handshake; inside TLS when the
    /// transport is TLS). The two ends' figures together are the tunnel's traffic in both directions.
    /// </summary>
    public long BytesReceived { get; init; }
}
