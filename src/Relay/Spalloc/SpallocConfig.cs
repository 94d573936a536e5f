using System.Net;
using FastSpinnRelay.Relay.Spalloc.Server;

namespace FastSpinnRelay.Relay.Spalloc;

/// <summary>
/// A validated <c>relay spalloc serve</c> configuration: the machine, its users and the server settings. Read one
/// with <see cref="SpallocConfigReader"/>; the file format is in docs/spalloc-serve.md.
/// </summary>
public sealed record SpallocConfig(SpallocMachine Machine, IReadOnlyList<SpallocUser> Users, SpallocServerOptions Server);

/// <summary>The one machine a server hands out boards of.</summary>
/// <param name="Name">Machine name clients may ask for (<c>machine-name</c>).</param>
/// <param name="Tags">Tags clients may ask for instead of a name; default <c>["default"]</c>, which spinnman asks for.</param>
/// <param name="Boards">The boards, in configuration order (the order first-fit allocation tries them).</param>
public sealed record SpallocMachine(string Name, IReadOnlyList<string> Tags, IReadOnlyList<SpallocBoard> Boards)
{
    /// <summary>Width in triads (largest triad x + 1).</summary>
    public int Width => Boards.Count == 0 ? 0 : Boards.Max(b => b.X) + 1;

    /// <summary>Height in triads (largest triad y + 1).</summary>
    public int Height => Boards.Count == 0 ? 0 : Boards.Max(b => b.Y) + 1;
}

/// <summary>
/// One board: its logical (triad) coordinates, the global coordinates of its Ethernet chip, optionally its
/// physical position, and the IP address of its Ethernet interface.
/// </summary>
public sealed record SpallocBoard(int X, int Y, int Z, int ChipX, int ChipY, IPAddress Address, (int Cabinet, int Frame, int Board)? Physical)
{
    /// <summary>Chips between triads along each axis on a SpiNN-5 machine.</summary>
    public const int TriadChipPitch = 12;

    /// <summary>The Ethernet chip of board (x, y, z): z=0 at (12x, 12y), z=1 at +(8, 4), z=2 at +(4, 8).</summary>
    public static (int ChipX, int ChipY) EthernetChipOf(int x, int y, int z) => z switch
    {
        1 => ((TriadChipPitch * x) + 8, (TriadChipPitch * y) + 4),
        2 => ((TriadChipPitch * x) + 4, (TriadChipPitch * y) + 8),
        _ => (TriadChipPitch * x, TriadChipPitch * y),
    };

    /// <summary>The triad of the board whose Ethernet chip is (chipX, chipY), or false when no board has it there.</summary>
    public static bool TryTriadOf(int chipX, int chipY, out (int X, int Y, int Z) triad)
    {
        triad = default;
        if (chipX < 0 || chipY < 0)
        {
            return false;
        }

        var (x, y) = (chipX / TriadChipPitch, chipY / TriadChipPitch);
        int? z = (chipX % TriadChipPitch, chipY % TriadChipPitch) switch
        {
            (0, 0) => 0,
            (8, 4) => 1,
            (4, 8) => 2,
            _ => null,
        };
        if (z is not { } found)
        {
            return false;
        }

        triad = (x, y, found);
        return true;
    }

    public override string ToString() => $"board ({X},{Y},{Z}) at {Address}";
}

/// <summary>A user who may log in: a name, the stored hash of their bearer token, and whether they are an admin.</summary>
/// <remarks>Admins may read and use every job (as on the Java service); other users only their own.</remarks>
public sealed record SpallocUser(string Name, TokenHash.Parsed TokenHash, bool Admin)
{
    /// <summary>The name only: the token hash is never printed.</summary>
    public override string ToString() => Admin ? $"{Name} (admin)" : Name;
}
