namespace FastSpinnRelay.Relay.Spalloc.Client;

/// <summary>Why a Spalloc client call failed.</summary>
public enum SpallocFailure
{
    /// <summary>The service answered with an error status, or with something that is not what the API promises.</summary>
    Service,

    /// <summary>The service could not be reached (refused, unresolvable, TLS failure, connection dropped).</summary>
    Network,

    /// <summary>No answer within the call's time limit.</summary>
    Timeout,
}

/// <summary>A failed Spalloc client call; <see cref="Exception.Message"/> is one line naming the URL and the status or cause.</summary>
public sealed class SpallocClientException(SpallocFailure failure, string message, Exception? inner = null, int? status = null) : Exception(message, inner)
{
    /// <summary>What kind of failure this is (the CLI maps it to an exit code).</summary>
    public SpallocFailure Failure { get; } = failure;

    /// <summary>The HTTP status the service answered with, when it answered.</summary>
    public int? Status { get; } = status;
}
