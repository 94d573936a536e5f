namespace FastSpinnRelay.Protocol.Boot;

/// <summary>Why a UDP datagram on the boot port is malformed. The text of each member goes to logs and counters.</summary>
public enum BootError : byte
{
    /// <summary>The packet is well formed.</summary>
    None = 0,

    /// <summary>Shorter than the 18-byte boot header.</summary>
    TooShort,

    /// <summary>Longer than 1042 bytes (18-byte header + 1024 data bytes).</summary>
    TooLong,

    /// <summary>The version field is not 1.</summary>
    BadVersion,

    /// <summary>The data after the header is not a whole number of 32-bit words.</summary>
    DataNotWordMultiple,
}
