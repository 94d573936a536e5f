using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Internal;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

internal sealed partial class SpallocHttpApi
{
    /// <summary>Why the jobs of a user removed by a reload were destroyed.</summary>
    public const string RemovedUserReason = "user removed from the configuration";

    /// <summary><c>GET jobs</c>: the caller's jobs (every job for an admin), newest first; destroyed ones with <c>deleted=true</c>.</summary>
    private async Task ListJobsAsync(HttpContext context)
    {
        if (await RequireUser(context, mutating: false).ConfigureAwait(false) is not { } user)
        {
            return;
        }

        var jobs = _jobs.List(user.Name, user.Admin, Flag(context, "deleted"));
        await Json(context, StatusCodes.Status200OK, new JobListJson(jobs.Select(j => JobUrl(context, j.Id)).ToList()), ApiJsonContext.Default.JobListJson)
            .ConfigureAwait(false);
    }

    /// <summary><c>POST jobs</c>: create a job from <c>num-boards</c>, <c>dimensions</c> and/or <c>board</c>; 201 with its URL in Location.</summary>
    private async Task CreateJobAsync(HttpContext context)
    {
        if (await RequireUser(context, mutating: true).ConfigureAwait(false) is not { } user)
        {
            return;
        }

        if (context.Request.ContentLength is > MaxBodyBytes)
        {
            await Text(context, StatusCodes.Status413PayloadTooLarge, $"a job request is at most {MaxBodyBytes} bytes").ConfigureAwait(false);
            return;
        }

        CreateJobJson? request;
        TimeSpan keepalive = default;
        string? problem = null;
        LimitBody(context);
        try
        {
            request = await JsonSerializer.DeserializeAsync(context.Request.Body, ApiJsonContext.Default.CreateJobJson, context.RequestAborted)
                .ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            await Text(context, StatusCodes.Status400BadRequest, $"the body is not a job request ({Log.Escape(ex.Path ?? "", 40)}): {Log.Escape(ex.Message, 120)}")
                .ConfigureAwait(false);
            return;
        }

        var boards = request is null ? null : ParseJobRequest(request, out keepalive, out problem);
        if (boards is null)
        {
            await Text(context, StatusCodes.Status400BadRequest, problem ?? "the body is not a job request").ConfigureAwait(false);
            return;
        }

        var job = _jobs.Create(user.Name, boards, keepalive, null, out problem, out var tooMany);
        if (job is null)
        {
            await Text(context, tooMany ? StatusCodes.Status429TooManyRequests : StatusCodes.Status400BadRequest, problem!).ConfigureAwait(false);
            return;
        }

        if (_users.Find(user.Name) is null)
        {
            // A reload removed the user while this request was under way, after it destroyed their jobs: this one too.
            _jobs.Destroy(job, RemovedUserReason);
            await Text(context, StatusCodes.Status401Unauthorized, $"user {user.Name} is no longer configured").ConfigureAwait(false);
            return;
        }

        _jobs.Keepalive(job, context.Connection.RemoteIpAddress?.ToString());
        Log.Info(ProxyHub.Component, $"job {job.Id} created for {user.Name}: {Describe(boards)}, keepalive {keepalive.TotalSeconds:0.#} s, {job.State}");
        var url = JobUrl(context, job.Id);
        context.Response.Headers.Location = url;
        await Json(context, StatusCodes.Status201Created, new CreateJobResponseJson(job.Id, url), ApiJsonContext.Default.CreateJobResponseJson)
            .ConfigureAwait(false);
    }

    /// <summary><c>GET jobs/{id}</c>: the job's state; with <c>wait=true</c> waits (at most 30 s) for the state to change first.</summary>
    private async Task JobStateAsync(HttpContext context, SpallocUser user, Job job)
    {
        var snapshot = _jobs.Snapshot(job);
        if (Flag(context, "wait") && snapshot.State != JobState.Destroyed)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            timeout.CancelAfter(LongPollLimit);
            var changed = job.Changed;
            Interlocked.Increment(ref job.Waiters);
            try
            {
                if (_jobs.Snapshot(job).State == snapshot.State && !await WaitWhileConnectedAsync(context, changed, timeout.Token).ConfigureAwait(false))
                {
                    context.Abort(); // the client left: nobody to answer
                    return;
                }
            }
            catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
            {
                // No change within the limit: answer with the state as it is.
            }
            finally
            {
                Interlocked.Decrement(ref job.Waiters);
            }

            snapshot = _jobs.Snapshot(job);
        }

        var url = JobUrl(context, job.Id);
        var live = snapshot.State != JobState.Destroyed;
        var json = new JobStateJson(
            snapshot.State.ToString().ToUpperInvariant(),
            snapshot.Owner,
            Iso(snapshot.Created),
            live ? Iso(snapshot.LastKeepalive) : null,
            live ? snapshot.KeepaliveHost : null,
            snapshot.Finished is { } finished ? Iso(finished) : null,
            snapshot.Reason,
            url + "/keepalive",
            url + "/machine",
            snapshot.State is JobState.Power or JobState.Ready ? ProxyUrl(context, job.Id) : null,
            null);
        await Json(context, StatusCodes.Status200OK, json, ApiJsonContext.Default.JobStateJson).ConfigureAwait(false);
    }

    /// <summary><c>GET jobs/{id}/machine</c>: the job's boards and their Ethernet connections (job-relative chips); 204 while it has none.</summary>
    private async Task JobMachineAsync(HttpContext context, SpallocUser user, Job job)
    {
        if (_jobs.Snapshot(job).Allocation is not { } allocation)
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        var json = new SubMachineJson(
            allocation.WidthChips,
            allocation.HeightChips,
            allocation.Depth,
            _machine.Name,
            allocation.Connections.Map(c => new ConnectionJson(c.X, c.Y, c.Address)),
            allocation.Boards.Select(b => new BoardJson(b.X, b.Y, b.Z, b.Address.ToString())).ToList(),
            BaseUrl(context) + "/srv/spalloc/machines/" + Uri.EscapeDataString(_machine.Name));
        await Json(context, StatusCodes.Status200OK, json, ApiJsonContext.Default.SubMachineJson).ConfigureAwait(false);
    }

    /// <summary><c>PUT jobs/{id}/keepalive</c> (any body, e.g. "alive"): the job stays for another keepalive interval.</summary>
    private Task KeepaliveAsync(HttpContext context, SpallocUser user, Job job) =>
        _jobs.Keepalive(job, context.Connection.RemoteIpAddress?.ToString())
            ? Text(context, StatusCodes.Status200OK, "ok")
            : Text(context, StatusCodes.Status409Conflict, $"job {job.Id} is destroyed");

    /// <summary><c>DELETE jobs/{id}?reason=…</c>: destroys the job, frees its boards, closes its websockets; 204.</summary>
    private Task DeleteJobAsync(HttpContext context, SpallocUser user, Job job)
    {
        var reason = context.Request.Query["reason"].ToString();
        reason = string.IsNullOrWhiteSpace(reason) ? $"deleted by {user.Name}" : Log.Escape(reason, 100);
        Log.Info(ProxyHub.Component, $"job {job.Id} destroyed by {user.Name}: {reason}");
        _jobs.Destroy(job, reason);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    /// <summary>Checks a create request the way the Java service does and resolves it against the machine.</summary>
    private BoardRequest? ParseJobRequest(CreateJobJson request, out TimeSpan keepalive, out string? problem)
    {
        problem = null;

        if (!IsoDuration.TryParse(request.KeepaliveInterval, out keepalive) || keepalive <= TimeSpan.Zero)
        {
            return Fail(out problem, "keepalive-interval is required, as an ISO-8601 duration such as PT120S");
        }

        var maxKeepalive = _options.MaxKeepalive;
        if (keepalive > maxKeepalive)
        {
            return Fail(out problem, $"keepalive-interval must be at most {maxKeepalive.TotalSeconds:0} seconds here");
        }

        if (request.MachineName is { } name && name != _machine.Name)
        {
            return Fail(out problem, $"no machine named {Log.Escape(name, 64)} (this server has {_machine.Name})");
        }

        if (request.Tags is { } tags && tags.Any(t => t is null || !_machine.Tags.Contains(t)))
        {
            return Fail(out problem, $"no machine has all the tags asked for (this server's machine has: {string.Join(", ", _machine.Tags)})");
        }

        var maxDead = request.MaxDeadBoards ?? 0;
        if (maxDead < 0)
        {
            return Fail(out problem, "max-dead-boards may not be negative");
        }

        if (request.NumBoards is not null && (request.Dimensions is not null || request.Board is not null))
        {
            return Fail(out problem, "either specify num-boards or dimensions and/or board");
        }

        int? boardIndex = null;
        if (request.Board is { } board)
        {
            boardIndex = FindBoard(board, out problem);
            if (boardIndex is null)
            {
                return null;
            }
        }

        if (request.Dimensions is { } d)
        {
            if (d.Width < 1 || d.Height < 1)
            {
                return Fail(out problem, "dimensions must be at least 1 x 1 triads");
            }

            var root = boardIndex is { } i ? _machine.Boards[i] : null;
            return new BoardRequest.Rectangle(d.Width, d.Height, root?.X, root?.Y, maxDead);
        }

        if (boardIndex is { } index)
        {
            return new BoardRequest.Specific(index);
        }

        switch (request.NumBoards)
        {
            case null:
                return Fail(out problem, "either num-boards, dimensions or board is required");
            case < 1:
                return Fail(out problem, "number of boards must be at least 1 if given");
            case 1:
                return new BoardRequest.AnyOne();
            case { } n:
                // As the Java service: the near-square rectangle of triads that holds n boards; the spare boards count as dead.
                var triads = (n + 2) / 3;
                var width = Math.Max(1, Math.Min((int)Math.Ceiling(Math.Sqrt(triads)), _machine.Width));
                var height = Math.Max(1, Math.Min((triads + width - 1) / width, _machine.Height));
                if (width * height * 3 < n)
                {
                    return Fail(out problem, "that job cannot possibly fit on this machine");
                }

                return new BoardRequest.Rectangle(width, height, null, null, (width * height * 3) - n + maxDead);
        }
    }

    private static BoardRequest? Fail(out string problem, string text)
    {
        problem = text;
        return null;
    }

    private int? FindBoard(SpecificBoardJson board, out string? problem)
    {
        problem = null;
        var boards = _machine.Boards;
        if (board is { X: { } x, Y: { } y, Z: { } z })
        {
            for (var i = 0; i < boards.Count; i++)
            {
                if ((boards[i].X, boards[i].Y, boards[i].Z) == (x, y, z))
                {
                    return i;
                }
            }

            problem = $"no board at triad ({x}, {y}, {z}) on {_machine.Name}";
            return null;
        }

        if (board is { Cabinet: { } c, Frame: { } f, Board: { } b })
        {
            for (var i = 0; i < boards.Count; i++)
            {
                if (boards[i].Physical == (c, f, b))
                {
                    return i;
                }
            }

            problem = $"no board at cabinet {c}, frame {f}, board {b} on {_machine.Name}";
            return null;
        }

        if (board.Address is { } text)
        {
            if (IPAddress.TryParse(text, out var address))
            {
                for (var i = 0; i < boards.Count; i++)
                {
                    if (boards[i].Address.Equals(address))
                    {
                        return i;
                    }
                }
            }

            problem = $"no board with address {Log.Escape(text, 60)} on {_machine.Name}";
            return null;
        }

        problem = "at least one way of identifying a board must be given (x, y, z; cabinet, frame, board; or address)";
        return null;
    }

    private static string Describe(BoardRequest request) => request switch
    {
        BoardRequest.AnyOne => "1 board",
        BoardRequest.Specific s => $"board #{s.BoardIndex}",
        BoardRequest.Rectangle r => $"{r.Width}x{r.Height} triads{(r.RootX is { } x ? $" at ({x}, {r.RootY})" : "")}",
        _ => request.ToString(),
    };

    /// <summary>
    /// Waits for <paramref name="changed"/> (or <paramref name="token"/>), looking every <see cref="ClientCheckInterval"/>
    /// whether the client has closed its connection; false when it has. The server's transport reads a connection
    /// only when Kestrel asks, and nothing reads during a long poll, so this look is what notices a client that left.
    /// </summary>
    private static async Task<bool> WaitWhileConnectedAsync(HttpContext context, Task changed, CancellationToken token)
    {
        var socket = context.Features.Get<IConnectionSocketFeature>()?.Socket;
        while (true)
        {
            try
            {
                await changed.WaitAsync(ClientCheckInterval, token).ConfigureAwait(false);
                return true;
            }
            catch (TimeoutException) when (socket is null || !PeerClosed(socket))
            {
                // still there: wait on
            }
            catch (TimeoutException)
            {
                return false;
            }
        }
    }

    /// <summary>True when the peer has closed or reset the connection: readable with nothing to read.</summary>
    private static bool PeerClosed(Socket socket)
    {
        try
        {
            return socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }
}
