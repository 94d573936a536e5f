using System.Net;
using FastSpinnRelay.Protocol.Sdp;

namespace FastSpinnRelay.Relay.Host;

/// <summary>How an <see cref="ScpClient"/> request failed.</summary>
public enum ScpFailure
{
    /// <summary>No matching reply after every attempt.</summary>
    Timeout = 1,

    /// <summary>The board answered with a return code other than OK.</summary>
    ErrorReply,

    /// <summary>The reply's content was not what the command returns (e.g. a READ reply of the wrong length).</summary>
    MalformedReply,
}

/// <summary>An SCP request to a board failed; the message names the board, the command and why.</summary>
public sealed class ScpClientException : Exception
{
    public ScpClientException(ScpFailure failure, IPEndPoint target, ScpCommand command, ScpResult? result, string message)
        : base(message)
    {
        Failure = failure;
        Target = target;
        Command = command;
        Result = result;
    }

    /// <summary>Why it failed.</summary>
    public ScpFailure Failure { get; }

    /// <summary>The board (or relay) the request went to.</summary>
    public IPEndPoint Target { get; }

    /// <summary>The command that failed.</summary>
    public ScpCommand Command { get; }

    /// <summary>The board's return code, for <see cref="ScpFailure.ErrorReply"/>.</summary>
    public ScpResult? Result { get; }
}
