"`python -m codenas COMMAND ...` runs the `codenas` command; `torchrun --nproc_per_node=N -m codenas train ...` trains on N processes"
import sys
from codenas.cli import main

if __name__ == '__main__': sys.exit(main())
