namespace FastSpinnRelay.Protocol.Eieio;

/// <summary>Why an EIEIO command reader rejected a datagram. <see cref="None"/> means it was accepted.</summary>
public enum EieioCommandError : byte
{
    /// <summary>No error: the datagram is a well-formed command of the expected kind.</summary>
    None = 0,

    /// <summary>The datagram is shorter than the 2-byte command header.</summary>
    TooShort,

    /// <summary>Header bits 15–14 are not 01, so this is a data packet, not a command.</summary>
    NotACommand,

    /// <summary>The command ID (header bits 13–0) is not one of the known IDs 1–12.</summary>
    UnknownCommandId,

    /// <summary>A reader for one command was given a command with another ID.</summary>
    WrongCommandId,

    /// <summary>The datagram ends before the end of the fixed fields or of the requests the command announces.</summary>
    BodyTooShort,

    /// <summary>Bytes follow the end of the command's fields or of the requests it announces.</summary>
    TrailingBytes,

    /// <summary>The DATABASE command's path is not valid UTF-8.</summary>
    InvalidUtf8,

    /// <summary>The EIEIO data packet embedded in HOST_SEND_SEQUENCED_DATA is missing or malformed.</summary>
    EmbeddedDataMalformed,
}
