using System.Net;
using System.Net.Sockets;

namespace FastSpinnRelay.Relay.Emulator;

/// <summary>The emulated board could not bind one of its ports (typically: already in use).</summary>
public sealed class EmulatorBindException : Exception
{
    public EmulatorBindException(string purpose, IPEndPoint endPoint, SocketException inner)
        : base($"cannot bind the emulator's {purpose} port {endPoint}: {Describe(inner.SocketErrorCode)}", inner)
    {
        Purpose = purpose;
        EndPoint = endPoint;
        SocketError = inner.SocketErrorCode;
    }

    /// <summary>Which port: "SCP" or "boot".</summary>
    public string Purpose { get; }

    /// <summary>The address and port that could not be bound.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>The operating system's reason.</summary>
    public SocketError SocketError { get; }

    private static string Describe(SocketError error) => error switch
    {
        SocketError.AddressAlreadyInUse => "address already in use (another emulator or SpiNNaker tool?)",
        SocketError.AddressNotAvailable => "that address is not on this machine",
        SocketError.AccessDenied => "permission denied",
        _ => error.ToString(),
    };
}
