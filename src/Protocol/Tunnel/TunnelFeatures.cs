namespace FastSpinnRelay.Protocol.Tunnel;

/// <summary>Feature bits offered in HELLO and CHALLENGE. Unknown bits are ignored by readers.</summary>
[Flags]
public enum TunnelFeatures : byte
{
    /// <summary>Nothing optional.</summary>
    None = 0,

    /// <summary>This side decompresses LZ4 batches; the peer may send them.</summary>
    Lz4 = 1,
}
