namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>
/// Converts jobs to and from their records in the state file. A record that is not well formed throws
/// <see cref="InvalidDataException"/> naming the job and the field (the loader adds the file's name). A destroyed job
/// keeps only what listing shows (its request and boards are never used again).
/// </summary>
internal static class JobRecords
{
    public static JobRecordJson ToRecord(Job job, SpallocMachine machine)
    {
        var record = new JobRecordJson
        {
            Id = job.Id,
            Owner = job.Owner,
            State = job.State.ToString().ToUpperInvariant(),
            Created = job.Created,
            KeepaliveInterval = job.KeepaliveInterval,
            LastKeepalive = job.LastKeepalive,
            KeepaliveHost = job.KeepaliveHost,
            Finished = job.Finished,
            Reason = job.Reason,
            OriginalRequest = job.OriginalRequest,
        };
        if (job.State == JobState.Destroyed)
        {
            return record;
        }

        record.Request = job.Request switch
        {
            BoardRequest.Specific specific => new JobRequestJson { Kind = "board", Board = Triad(machine.Boards[specific.BoardIndex]) },
            BoardRequest.Rectangle rect => new JobRequestJson
            {
                Kind = "rectangle",
                Width = rect.Width,
                Height = rect.Height,
                Root = rect.RootX is { } x && rect.RootY is { } y ? [x, y] : null,
                Tolerance = rect.Tolerance,
            },
            _ => new JobRequestJson { Kind = "any-one" },
        };
        if (job.Allocation is { } allocation)
        {
            record.Boards = allocation.BoardIndices.Select(i => (int[]?)Triad(machine.Boards[i])).ToList();
            record.RootChip = [allocation.RootChipX, allocation.RootChipY];
            record.SizeChips = [allocation.WidthChips, allocation.HeightChips];
            record.Depth = allocation.Depth;
        }

        return record;
    }

    /// <summary>
    /// The job a record describes, not yet queued, allocated or destroyed: <paramref name="allocation"/> is what a READY
    /// job holds; <paramref name="lost"/> says why a live job cannot go on (a board of it is no longer configured).
    /// </summary>
    public static Job FromRecord(JobRecordJson? record, SpallocMachine machine, out JobState state, out JobAllocation? allocation, out string? lost)
    {
        if (record is null)
        {
            throw new InvalidDataException("a job is null");
        }

        var id = Require(record.Id, "?", "id");
        var at = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (id <= 0)
        {
            throw new InvalidDataException($"job id {at} is not positive");
        }

        var owner = Require(record.Owner, at, "owner");
        state = record.State switch
        {
            "QUEUED" => JobState.Queued,
            "READY" => JobState.Ready,
            "DESTROYED" => JobState.Destroyed,
            _ => throw new InvalidDataException($"job {at}: state '{Diagnostics.Log.Escape(record.State ?? "", 20)}' is not QUEUED, READY or DESTROYED"),
        };
        var interval = Require(record.KeepaliveInterval, at, "keepalive-interval");
        if (interval <= TimeSpan.Zero)
        {
            throw new InvalidDataException($"job {at}: keepalive-interval is not positive");
        }

        allocation = null;
        lost = null;
        BoardRequest request = new BoardRequest.AnyOne();
        if (state != JobState.Destroyed)
        {
            request = ReadRequest(Require(record.Request, at, "request"), machine, at, ref lost);
            if (state == JobState.Ready)
            {
                allocation = ReadAllocation(record, machine, at, ref lost);
            }
        }

        var job = new Job(id, owner, request, interval, Require(record.Created, at, "created"), record.OriginalRequest)
        {
            LastKeepalive = Require(record.LastKeepalive, at, "last-keepalive"),
            KeepaliveHost = record.KeepaliveHost,
        };
        if (state == JobState.Destroyed)
        {
            job.Destroy(Require(record.Finished, at, "finished"), record.Reason ?? "");
        }

        return job;
    }

    private static BoardRequest ReadRequest(JobRequestJson request, SpallocMachine machine, string at, ref string? lost)
    {
        switch (request.Kind)
        {
            case "any-one":
                return new BoardRequest.AnyOne();
            case "board":
                var index = BoardIndex(Require(request.Board, at, "request.board"), machine, at, "request.board");
                if (index < 0)
                {
                    lost ??= $"the board it asked for ({string.Join(",", request.Board!)}) is no longer configured";
                    return new BoardRequest.AnyOne();
                }

                return new BoardRequest.Specific(index);
            case "rectangle":
                var root = request.Root;
                if (root is not null && root.Length != 2)
                {
                    throw new InvalidDataException($"job {at}: request.root is not [x, y]");
                }

                var (width, height) = (Require(request.Width, at, "request.width"), Require(request.Height, at, "request.height"));
                if (width <= 0 || height <= 0)
                {
                    throw new InvalidDataException($"job {at}: request width and height must be positive");
                }

                return new BoardRequest.Rectangle(width, height, root?[0], root?[1], request.Tolerance ?? 0);
            default:
                throw new InvalidDataException($"job {at}: request.kind '{Diagnostics.Log.Escape(request.Kind ?? "", 20)}' is not any-one, board or rectangle");
        }
    }

    private static JobAllocation? ReadAllocation(JobRecordJson record, SpallocMachine machine, string at, ref string? lost)
    {
        var triads = Require(record.Boards, at, "boards");
        var root = Require(record.RootChip, at, "root-chip");
        var size = Require(record.SizeChips, at, "size-chips");
        var depth = Require(record.Depth, at, "depth");
        if (triads.Count == 0 || root.Length != 2 || size.Length != 2 || size[0] <= 0 || size[1] <= 0 || depth is not (1 or 3))
        {
            throw new InvalidDataException($"job {at}: boards, root-chip, size-chips or depth is malformed");
        }

        var indices = new List<int>(triads.Count);
        foreach (var triad in triads)
        {
            var index = BoardIndex(triad ?? throw new InvalidDataException($"job {at}: a board is null"), machine, at, "boards");
            if (index < 0)
            {
                lost ??= $"its board ({string.Join(",", triad)}) is no longer configured";
                return null;
            }

            if (indices.Contains(index))
            {
                throw new InvalidDataException($"job {at}: board ({string.Join(",", triad)}) is listed twice");
            }

            indices.Add(index);
        }

        return new JobAllocation(indices, machine.Boards, root[0], root[1], size[0], size[1], depth);
    }

    /// <summary>The configured board with this triad, or -1 when there is none.</summary>
    private static int BoardIndex(int[] triad, SpallocMachine machine, string at, string field)
    {
        if (triad.Length != 3)
        {
            throw new InvalidDataException($"job {at}: {field} has a board that is not [x, y, z]");
        }

        for (var i = 0; i < machine.Boards.Count; i++)
        {
            var board = machine.Boards[i];
            if (board.X == triad[0] && board.Y == triad[1] && board.Z == triad[2])
            {
                return i;
            }
        }

        return -1;
    }

    private static int[] Triad(SpallocBoard board) => [board.X, board.Y, board.Z];

    private static T Require<T>(T? value, string at, string field)
        where T : class =>
        value ?? throw new InvalidDataException($"job {at}: {field} is missing");

    private static T Require<T>(T? value, string at, string field)
        where T : struct =>
        value ?? throw new InvalidDataException($"job {at}: {field} is missing");
}
