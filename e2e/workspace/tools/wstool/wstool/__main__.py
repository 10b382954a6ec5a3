import sys

from wstool import main

sys.exit(main())
