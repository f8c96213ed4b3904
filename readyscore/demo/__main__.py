import sys

from readyscore.demo.serve import main

sys.exit(main())
