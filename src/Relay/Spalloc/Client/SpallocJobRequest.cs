using FastSpinnRelay.Relay.Spalloc.Client.Internal;

namespace FastSpinnRelay.Relay.Spalloc.Client;

/// <summary>
/// What a new job asks for: a number of boards, one board (triad, physical position or IP address), a rectangle of
/// triads, or a rectangle rooted at a board; on a named machine or (default) the machine tagged "default".
/// </summary>
public sealed record SpallocJobRequest
{
    /// <summary>Number of boards (first fit); exclusive with the other shapes.</summary>
    public int? NumBoards { get; init; }

    /// <summary>Rectangle width × height in triads (3 boards each), optionally rooted at the board given.</summary>
    public (int Width, int Height)? Rectangle { get; init; }

    /// <summary>Board by triad coordinates.</summary>
    public (int X, int Y, int Z)? Triad { get; init; }

    /// <summary>Board by physical position.</summary>
    public (int Cabinet, int Frame, int Board)? Physical { get; init; }

    /// <summary>Board by the IPv4 address of its Ethernet chip.</summary>
    public string? Address { get; init; }

    /// <summary>The machine; null asks for the tag "default", as spinnman does.</summary>
    public string? MachineName { get; init; }

    /// <summary>The job dies when not kept alive for this long (default 120 s, as spinnman).</summary>
    public TimeSpan Keepalive { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Missing boards a rectangle may have (default 0).</summary>
    public int? MaxDeadBoards { get; init; }

    /// <summary>A one-line problem with the request, or null when it can be sent.</summary>
    public string? Problem()
    {
        var boards = (Triad is null ? 0 : 1) + (Physical is null ? 0 : 1) + (Address is null ? 0 : 1);
        if (boards > 1)
        {
            return "give one board only: by triad, physical position or address";
        }

        if (NumBoards is not null && (Rectangle is not null || boards > 0))
        {
            return "give either a number of boards, or a board and/or a rectangle";
        }

        if (NumBoards is null && Rectangle is null && boards == 0)
        {
            return "give a number of boards, a board or a rectangle";
        }

        if (NumBoards is <= 0 || Rectangle is { } r && (r.Width <= 0 || r.Height <= 0))
        {
            return "the number of boards and the rectangle's sides must be positive";
        }

        return Keepalive < TimeSpan.FromSeconds(1) ? "the keepalive interval must be at least 1 s" : null;
    }

    internal CreateJobDto ToDto()
    {
        BoardDto? board = Triad is { } t ? new BoardDto(t.X, t.Y, t.Z, null, null, null, null)
            : Physical is { } p ? new BoardDto(null, null, null, p.Cabinet, p.Frame, p.Board, null)
            : Address is { } a ? new BoardDto(null, null, null, null, null, null, a)
            : null;
        return new CreateJobDto(
            IsoSeconds(Keepalive),
            NumBoards,
            Rectangle is { } r ? new DimensionsDto(r.Width, r.Height) : null,
            board,
            MachineName,
            MachineName is null ? ["default"] : null,
            MaxDeadBoards);
    }

    private static string IsoSeconds(TimeSpan span) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"PT{Math.Max(1, (long)span.TotalSeconds)}S");
}
