namespace FastSpinnRelay.Protocol.Spalloc;

/// <summary>Why a Spalloc frame reader rejected a websocket message. <see cref="None"/> means it was accepted.</summary>
public enum SpallocFrameError : byte
{
    /// <summary>No error: the message is a well-formed frame for this direction.</summary>
    None = 0,

    /// <summary>The message is shorter than the 4-byte op word, or than the fixed words of a MSG, MSG_TO or ERROR frame.</summary>
    TooShort,

    /// <summary>An OPEN, CLOSE or OPEN_UNBOUND frame (or its reply) is not exactly its fixed size.</summary>
    WrongLength,

    /// <summary>The op word is not one of the six ops 0–5.</summary>
    UnknownOp,

    /// <summary>The op exists but is never sent in this direction (e.g. ERROR from a client, MSG_TO from a server).</summary>
    OpNotAllowed,

    /// <summary>
    /// The UDP port word is outside 1–65535 (OPEN, MSG_TO, OPEN_UNBOUND reply). The frame is otherwise well formed and
    /// the reader fills in its value, so a server can answer OPEN with ERROR "bad port number" (and close on MSG_TO).
    /// </summary>
    BadPort,
}
