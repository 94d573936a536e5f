namespace FastSpinnRelay.Protocol.Eieio;

/// <summary>Why <see cref="EieioDataPacket.TryRead"/> rejected a datagram. <see cref="None"/> means it was accepted.</summary>
public enum EieioDataError : byte
{
    /// <summary>No error: the datagram is a well-formed EIEIO data packet.</summary>
    None = 0,

    /// <summary>The datagram ends before the 2-byte header or before the key prefix / payload base the flags announce.</summary>
    TooShort,

    /// <summary>The header is a command header (bits 15–14 = 01), not a data header; read it with EieioCommand.</summary>
    CommandHeader,

    /// <summary>The datagram ends before the last of the 'count' elements the header announces.</summary>
    MissingElements,

    /// <summary>Bytes follow the last of the 'count' elements the header announces.</summary>
    TrailingBytes,
}
