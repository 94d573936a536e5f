using System.Net;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Bench.Internal;

/// <summary>What answers the request/response workloads ("the board").</summary>
internal interface IResponder : IDisposable
{
    /// <summary>Where requests must arrive.</summary>
    UdpAddress Address { get; }

    /// <summary>Name for the report.</summary>
    string Label { get; }
}

/// <summary>The board emulator, in this process, answering SCP VER on a loopback port (its boot port unused).</summary>
internal sealed class EmulatorResponder : IResponder
{
    private readonly BoardEmulator _emulator = new(new EmulatorOptions { Address = IPAddress.Loopback, ScpPort = 0, BootPort = 0 });

    public UdpAddress Address => UdpAddress.FromIPEndPoint(_emulator.ScpEndPoint);

    public string Label => "emulator";

    public void Dispose() => _emulator.Dispose();
}
