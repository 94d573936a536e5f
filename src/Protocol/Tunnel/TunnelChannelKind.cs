namespace FastSpinnRelay.Protocol.Tunnel;

/// <summary>What a tunnel channel carries (OPEN's kind byte). The kind decides the delivery class.</summary>
public enum TunnelChannelKind : byte
{
    /// <summary>One application's SCP requests and the board's replies (reliable).</summary>
    Scp = 1,

    /// <summary>Boot packets, paced at the receiving end by each DATA frame's gap (reliable).</summary>
    Boot = 2,

    /// <summary>Live output from the board's IP tags to the user's listeners (latest).</summary>
    EieioOutput = 3,

    /// <summary>Live injection from the user's tools to a reverse IP tag (latest).</summary>
    EieioInput = 4,
}
