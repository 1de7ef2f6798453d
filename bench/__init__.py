"""jikimi's benchmarks (``make bench``): each figure beside the physical reference measured in the same run."""
