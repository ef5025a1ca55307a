# ruff: noqa: RUF001 - license texts are quoted as published: typographic quotes and dashes included
"""LICENSE texts for the detection tests, and the ways real repositories mangle them.

MIT and Apache-2.0 are the full standard texts. The AI licenses are built from their real
opening and distinctive passages (the wording quoted in shared/reference/licenses.md and the
published texts), padded with the kind of boilerplate paragraphs those licenses have, so a
detector sees a realistic, long text rather than a bare list of fingerprint phrases.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable

MIT = """MIT License

Copyright (c) 2024 Example Labs

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""

APACHE_2 = """
                                 Apache License
                           Version 2.0, January 2004
                        http://www.apache.org/licenses/

   TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION

   1. Definitions.

      "License" shall mean the terms and conditions for use, reproduction,
      and distribution as defined by Sections 1 through 9 of this document.

      "Licensor" shall mean the copyright owner or entity authorized by
      the copyright owner that is granting the License.

      "Legal Entity" shall mean the union of the acting entity and all
      other entities that control, are controlled by, or are under common
      control with that entity. For the purposes of this definition,
      "control" means (i) the power, direct or indirect, to cause the
      direction or management of such entity, whether by contract or
      otherwise, or (ii) ownership of fifty percent (50%) or more of the
      outstanding shares, or (iii) beneficial ownership of such entity.

      "You" (or "Your") shall mean an individual or Legal Entity
      exercising permissions granted by this License.

      "Source" form shall mean the preferred form for making modifications,
      including but not limited to software source code, documentation
      source, and configuration files.

      "Object" form shall mean any form resulting from mechanical
      transformation or translation of a Source form, including but
      not limited to compiled object code, generated documentation,
      and conversions to other media types.

      "Work" shall mean the work of authorship, whether in Source or
      Object form, made available under the License, as indicated by a
      copyright notice that is included in or attached to the work
      (an example is provided in the Appendix below).

      "Derivative Works" shall mean any work, whether in Source or Object
      form, that is based on (or derived from) the Work and for which the
      editorial revisions, annotations, elaborations, or other modifications
      represent, as a whole, an original work of authorship. For the purposes
      of this License, Derivative Works shall not include works that remain
      separable from, or merely link (or bind by name) to the interfaces of,
      the Work and Derivative Works thereof.

      "Contribution" shall mean any work of authorship, including
      the original version of the Work and any modifications or additions
      to that Work or Derivative Works thereof, that is intentionally
      submitted to Licensor for inclusion in the Work by the copyright owner
      or by an individual or Legal Entity authorized to submit on behalf of
      the copyright owner. For the purposes of this definition, "submitted"
      means any form of electronic, verbal, or written communication sent
      to the Licensor or its representatives, including but not limited to
      communication on electronic mailing lists, source code control systems,
      and issue tracking systems that are managed by, or on behalf of, the
      Licensor for the purpose of discussing and improving the Work, but
      excluding communication that is conspicuously marked or otherwise
      designated in writing by the copyright owner as "Not a Contribution."

      "Contributor" shall mean Licensor and any individual or Legal Entity
      on behalf of whom a Contribution has been received by Licensor and
      subsequently incorporated within the Work.

   2. Grant of Copyright License. Subject to the terms and conditions of
      this License, each Contributor hereby grants to You a perpetual,
      worldwide, non-exclusive, no-charge, royalty-free, irrevocable
      copyright license to reproduce, prepare Derivative Works of,
      publicly display, publicly perform, sublicense, and distribute the
      Work and such Derivative Works in Source or Object form.

   3. Grant of Patent License. Subject to the terms and conditions of
      this License, each Contributor hereby grants to You a perpetual,
      worldwide, non-exclusive, no-charge, royalty-free, irrevocable
      (except as stated in this section) patent license to make, have made,
      use, offer to sell, sell, import, and otherwise transfer the Work,
      where such license applies only to those patent claims licensable
      by such Contributor that are necessarily infringed by their
      Contribution(s) alone or by combination of their Contribution(s)
      with the Work to which such Contribution(s) was submitted. If You
      institute patent litigation against any entity (including a
      cross-claim or counterclaim in a lawsuit) alleging that the Work
      or a Contribution incorporated within the Work constitutes direct
      or contributory patent infringement, then any patent licenses
      granted to You under this License for that Work shall terminate
      as of the date such litigation is filed.

   4. Redistribution. You may reproduce and distribute copies of the
      Work or Derivative Works thereof in any medium, with or without
      modifications, and in Source or Object form, provided that You
      meet the following conditions:

      (a) You must give any other recipients of the Work or
          Derivative Works a copy of this License; and

      (b) You must cause any modified files to carry prominent notices
          stating that You changed the files; and

      (c) You must retain, in the Source form of any Derivative Works
          that You distribute, all copyright, patent, trademark, and
          attribution notices from the Source form of the Work,
          excluding those notices that do not pertain to any part of
          the Derivative Works; and

      (d) If the Work includes a "NOTICE" text file as part of its
          distribution, then any Derivative Works that You distribute must
          include a readable copy of the attribution notices contained
          within such NOTICE file, excluding those notices that do not
          pertain to any part of the Derivative Works, in at least one
          of the following places: within a NOTICE text file distributed
          as part of the Derivative Works; within the Source form or
          documentation, if provided along with the Derivative Works; or,
          within a display generated by the Derivative Works, if and
          wherever such third-party notices normally appear. The contents
          of the NOTICE file are for informational purposes only and
          do not modify the License. You may add Your own attribution
          notices within Derivative Works that You distribute, alongside
          or as an addendum to the NOTICE text from the Work, provided
          that such additional attribution notices cannot be construed
          as modifying the License.

      You may add Your own copyright statement to Your modifications and
      may provide additional or different license terms and conditions
      for use, reproduction, or distribution of Your modifications, or
      for any such Derivative Works as a whole, provided Your use,
      reproduction, and distribution of the Work otherwise complies with
      the conditions stated in this License.

   5. Submission of Contributions. Unless You explicitly state otherwise,
      any Contribution intentionally submitted for inclusion in the Work
      by You to the Licensor shall be under the terms and conditions of
      this License, without any additional terms or conditions.
      Notwithstanding the above, nothing herein shall supersede or modify
      the terms of any separate license agreement you may have executed
      with Licensor regarding such Contributions.

   6. Trademarks. This License does not grant permission to use the trade
      names, trademarks, service marks, or product names of the Licensor,
      except as required for reasonable and customary use in describing the
      origin of the Work and reproducing the content of the NOTICE file.

   7. Disclaimer of Warranty. Unless required by applicable law or
      agreed to in writing, Licensor provides the Work (and each
      Contributor provides its Contributions) on an "AS IS" BASIS,
      WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or
      implied, including, without limitation, any warranties or conditions
      of TITLE, NON-INFRINGEMENT, MERCHANTABILITY, or FITNESS FOR A
      PARTICULAR PURPOSE. You are solely responsible for determining the
      appropriateness of using or redistributing the Work and assume any
      risks associated with Your exercise of permissions under this License.

   8. Limitation of Liability. In no event and under no legal theory,
      whether in tort (including negligence), contract, or otherwise,
      unless required by applicable law (such as deliberate and grossly
      negligent acts) or agreed to in writing, shall any Contributor be
      liable to You for damages, including any direct, indirect, special,
      incidental, or consequential damages of any character arising as a
      result of this License or out of the use or inability to use the
      Work (including but not limited to damages for loss of goodwill,
      work stoppage, computer failure or malfunction, or any and all
      other commercial damages or losses), even if such Contributor
      has been advised of the possibility of such damages.

   9. Accepting Warranty or Additional Liability. While redistributing
      the Work or Derivative Works thereof, You may choose to offer,
      and charge a fee for, acceptance of support, warranty, indemnity,
      or other liability obligations and/or rights consistent with this
      License. However, in accepting such obligations, You may act only
      on Your own behalf and on Your sole responsibility, not on behalf
      of any other Contributor, and only if You agree to indemnify,
      defend, and hold each Contributor harmless for any liability
      incurred by, or claims asserted against, such Contributor by reason
      of your accepting any such warranty or additional liability.

   END OF TERMS AND CONDITIONS

   APPENDIX: How to apply the Apache License to your work.

      To apply the Apache License to your work, attach the following
      boilerplate notice, with the fields enclosed by brackets "[]"
      replaced with your own identifying information. (Don't include
      the brackets!)  The text should be enclosed in the appropriate
      comment syntax for the file format. We also recommend that a
      file or class name and description of purpose be included on the
      same "printed page" as the copyright notice for easier
      identification within third-party archives.

   Copyright [yyyy] [name of copyright owner]

   Licensed under the Apache License, Version 2.0 (the "License");
   you may not use this file except in compliance with the License.
   You may obtain a copy of the License at

       http://www.apache.org/licenses/LICENSE-2.0

   Unless required by applicable law or agreed to in writing, software
   distributed under the License is distributed on an "AS IS" BASIS,
   WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
   See the License for the specific language governing permissions and
   limitations under the License.
"""

# --- Filler: the boilerplate every long license has, none of it distinctive --------------

_WARRANTY = (
    "Disclaimer of Warranty. UNLESS REQUIRED BY APPLICABLE LAW, THE MATERIALS AND ANY OUTPUT AND RESULTS "
    "THEREFROM ARE PROVIDED ON AN “AS IS” BASIS, WITHOUT WARRANTIES OF ANY KIND, AND THE LICENSOR DISCLAIMS "
    "ALL WARRANTIES OF ANY KIND, BOTH EXPRESS AND IMPLIED, INCLUDING, WITHOUT LIMITATION, ANY WARRANTIES OF "
    "TITLE, NON-INFRINGEMENT, MERCHANTABILITY, OR FITNESS FOR A PARTICULAR PURPOSE. YOU ARE SOLELY RESPONSIBLE "
    "FOR DETERMINING THE APPROPRIATENESS OF USING OR REDISTRIBUTING THE MATERIALS AND ASSUME ANY RISKS "
    "ASSOCIATED WITH YOUR USE OF THE MATERIALS AND ANY OUTPUT AND RESULTS."
)
_LIABILITY = (
    "Limitation of Liability. IN NO EVENT WILL THE LICENSOR OR ITS AFFILIATES BE LIABLE UNDER ANY THEORY OF "
    "LIABILITY, WHETHER IN CONTRACT, TORT, NEGLIGENCE, PRODUCTS LIABILITY, OR OTHERWISE, ARISING OUT OF THIS "
    "AGREEMENT, FOR ANY LOST PROFITS OR ANY INDIRECT, SPECIAL, CONSEQUENTIAL, INCIDENTAL, EXEMPLARY OR PUNITIVE "
    "DAMAGES, EVEN IF THE LICENSOR OR ITS AFFILIATES HAVE BEEN ADVISED OF THE POSSIBILITY OF ANY OF THE FOREGOING."
)
_TERMINATION = (
    "Term and Termination. The term of this Agreement will commence upon your acceptance of this Agreement or "
    "access to the Materials and will continue in full force and effect until terminated in accordance with "
    "the terms and conditions herein. The Licensor may terminate this Agreement if you are in breach of any "
    "term or condition of this Agreement. Upon termination of this Agreement, you shall delete and cease use "
    "of the Materials. Sections 3, 4 and 7 shall survive the termination of this Agreement."
)
_SEVERABILITY = (
    "Severability. If any provision of this Agreement is held to be invalid, illegal or unenforceable, the "
    "remaining provisions shall be unaffected thereby and remain valid as if such provision had not been set "
    "forth herein."
)


def _doc(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs) + "\n"


# --- Meta Llama ----------------------------------------------------------------------------

LLAMA_2 = _doc(
    "LLAMA 2 COMMUNITY LICENSE AGREEMENT\nLlama 2 Version Release Date: July 18, 2023",
    '"Agreement" means the terms and conditions for use, reproduction, distribution and modification of the '
    "Llama Materials set forth herein.",
    '"Documentation" means the specifications, manuals and documentation accompanying Llama 2 distributed by '
    "Meta at ai.meta.com/resources/models-and-libraries/llama-downloads/.",
    '"Llama Materials" means, collectively, Meta\'s proprietary Llama 2 and Documentation (and any portion '
    "thereof) made available under this Agreement.",
    "1. License Rights and Redistribution.",
    "a. Grant of Rights. You are granted a non-exclusive, worldwide, non-transferable and royalty-free limited "
    "license under Meta's intellectual property or other rights owned by Meta embodied in the Llama Materials "
    "to use, reproduce, distribute, copy, create derivative works of, and make modifications to the Llama "
    "Materials.",
    "b. Redistribution and Use.",
    "i. If you distribute or make the Llama Materials, or any derivative works thereof, available to a third "
    "party, you shall provide a copy of this Agreement to such third party.",
    "ii. If you receive Llama Materials, or any derivative works thereof, from a Licensee as part of an "
    "integrated end user product, then Section 2 of this Agreement will not apply to you.",
    "iii. You must retain in all copies of the Llama Materials that you distribute the following attribution "
    'notice within a "Notice" text file distributed as a part of such copies: "Llama 2 is licensed under the '
    'LLAMA 2 Community License, Copyright (c) Meta Platforms, Inc. All Rights Reserved."',
    "iv. Your use of the Llama Materials must comply with applicable laws and regulations (including trade "
    "compliance laws and regulations) and adhere to the Acceptable Use Policy for the Llama Materials "
    "(available at https://ai.meta.com/llama/use-policy), which is hereby incorporated by reference into this "
    "Agreement.",
    "v. You will not use the Llama Materials or any output or results of the Llama Materials to improve any "
    "other large language model (excluding Llama 2 or derivative works thereof).",
    "2. Additional Commercial Terms. If, on the Llama 2 version release date, the monthly active users of the "
    "products or services made available by or for Licensee, or Licensee's affiliates, is greater than 700 "
    "million monthly active users in the preceding calendar month, you must request a license from Meta, which "
    "Meta may grant to you in its sole discretion, and you are not authorized to exercise any of the rights "
    "under this Agreement unless or until Meta otherwise expressly grants you such rights.",
    "3. " + _WARRANTY,
    "4. " + _LIABILITY,
    "6. " + _TERMINATION,
    "7. Governing Law and Jurisdiction. This Agreement will be governed and construed under the laws of the "
    "State of California without regard to choice of law principles.",
)

LLAMA_3 = _doc(
    "META LLAMA 3 COMMUNITY LICENSE AGREEMENT\nMeta Llama 3 Version Release Date: April 18, 2024",
    "“Agreement” means the terms and conditions for use, reproduction, distribution and modification of the "
    "Llama Materials set forth herein.",
    "“Documentation” means the specifications, manuals and documentation accompanying Meta Llama 3 "
    "distributed by Meta at https://llama.meta.com/get-started/.",
    "“Meta Llama 3” means the foundational large language models and software and algorithms, including "
    "machine-learning model code, trained model weights, inference-enabling code, training-enabling code, "
    "fine-tuning enabling code and other elements of the foregoing distributed by Meta at "
    "https://llama.meta.com/llama-downloads.",
    "1. License Rights and Redistribution.",
    "a. Grant of Rights. You are granted a non-exclusive, worldwide, non-transferable and royalty-free limited "
    "license under Meta’s intellectual property or other rights owned by Meta embodied in the Llama Materials "
    "to use, reproduce, distribute, copy, create derivative works of, and make modifications to the Llama "
    "Materials.",
    "b. Redistribution and Use.",
    "i. If you distribute or make available the Llama Materials (or any derivative works thereof), or a "
    "product or service that uses any of them, including another AI model, you shall (A) provide a copy of "
    "this Agreement with any such Llama Materials; and (B) prominently display “Built with Meta Llama 3” on a "
    "related website, user interface, blogpost, about page, or product documentation. If you use the Llama "
    "Materials to create, train, fine tune, or otherwise improve an AI model, which is distributed or made "
    "available, you shall also include “Llama 3” at the beginning of any such AI model name.",
    "iii. You must retain in all copies of the Llama Materials that you distribute the following attribution "
    "notice within a “Notice” text file distributed as a part of such copies: “Meta Llama 3 is licensed under "
    "the Meta Llama 3 Community License, Copyright © Meta Platforms, Inc. All Rights Reserved.”",
    "v. You will not use the Llama Materials or any output or results of the Llama Materials to improve any "
    "other large language model (excluding Meta Llama 3 or derivative works thereof).",
    "2. Additional Commercial Terms. If, on the Meta Llama 3 version release date, the monthly active users "
    "of the products or services made available by or for Licensee, or Licensee’s affiliates, is greater than "
    "700 million monthly active users in the preceding calendar month, you must request a license from Meta, "
    "which Meta may grant to you in its sole discretion.",
    "3. " + _WARRANTY,
    "4. " + _LIABILITY,
    "6. " + _TERMINATION,
)


def llama_community(version: str, date_line: str, title: str | None = None) -> str:
    """Llama 3.1 / 3.2 / 3.3 / 4: one text with the version and its date substituted, as Meta publishes them."""
    return _doc(
        f"{title or f'LLAMA {version} COMMUNITY LICENSE AGREEMENT'}\n{date_line}",
        "“Agreement” means the terms and conditions for use, reproduction, distribution and modification of "
        "the Llama Materials set forth herein.",
        f"“Documentation” means the specifications, manuals and documentation accompanying Llama {version} "
        "distributed by Meta at https://www.llama.com/docs/overview.",
        "“Licensee” or “you” means you, or your employer or any other person or entity (if you are entering "
        "into this Agreement on such person or entity’s behalf), of the age required under applicable laws, "
        "rules or regulations to provide legal consent and that has legal authority to bind your employer or "
        "such other person or entity if you are entering in this Agreement on their behalf.",
        f"“Llama {version}” means the foundational large language models and software and algorithms, "
        "including machine-learning model code, trained model weights, inference-enabling code, "
        "training-enabling code, fine-tuning enabling code and other elements of the foregoing distributed by "
        "Meta at https://www.llama.com/llama-downloads.",
        f"“Llama Materials” means, collectively, Meta’s proprietary Llama {version} and Documentation (and any "
        "portion thereof) made available under this Agreement.",
        "By clicking “I Accept” below or by using or distributing any portion or element of the Llama "
        "Materials, you agree to be bound by this Agreement.",
        "1. License Rights and Redistribution.",
        "a. Grant of Rights. You are granted a non-exclusive, worldwide, non-transferable and royalty-free "
        "limited license under Meta’s intellectual property or other rights owned by Meta embodied in the Llama "
        "Materials to use, reproduce, distribute, copy, create derivative works of, and make modifications to "
        "the Llama Materials.",
        "b. Redistribution and Use.",
        "i. If you distribute or make available the Llama Materials (or any derivative works thereof), or a "
        "product or service (including another AI model) that contains any of them, you shall (A) provide a "
        "copy of this Agreement with any such Llama Materials; and (B) prominently display “Built with Llama” "
        "on a related website, user interface, blogpost, about page, or product documentation. If you use the "
        "Llama Materials or any outputs or results of the Llama Materials to create, train, fine tune, or "
        "otherwise improve an AI model, which is distributed or made available, you shall also include “Llama” "
        "at the beginning of any such AI model name.",
        "ii. If you receive Llama Materials, or any derivative works thereof, from a Licensee as part of an "
        "integrated end user product, then Section 2 of this Agreement will not apply to you.",
        "iii. You must retain in all copies of the Llama Materials that you distribute the following "
        "attribution notice within a “Notice” text file distributed as a part of such copies: "
        f"“Llama {version} is licensed under the Llama {version} Community License, Copyright © Meta "
        "Platforms, Inc. All Rights Reserved.”",
        "iv. Your use of the Llama Materials must comply with applicable laws and regulations (including trade "
        "compliance laws and regulations) and adhere to the Acceptable Use Policy for the Llama Materials, "
        "which is hereby incorporated by reference into this Agreement.",
        f"2. Additional Commercial Terms. If, on the Llama {version} version release date, the monthly active "
        "users of the products or services made available by or for Licensee, or Licensee’s affiliates, is "
        "greater than 700 million monthly active users in the preceding calendar month, you must request a "
        "license from Meta, which Meta may grant to you in its sole discretion, and you are not authorized to "
        "exercise any of the rights under this Agreement unless or until Meta otherwise expressly grants you "
        "such rights.",
        "3. " + _WARRANTY,
        "4. " + _LIABILITY,
        "5. Intellectual Property.",
        "c. If you institute litigation or other proceedings against Meta or any entity (including a "
        "cross-claim or counterclaim in a lawsuit) alleging that the Llama Materials or "
        f"Llama {version} outputs or results, or any portion of any of the foregoing, constitutes infringement "
        "of intellectual property or other rights owned or licensable by you, then any licenses granted to you "
        "under this Agreement shall terminate as of the date such litigation or claim is filed or instituted.",
        "6. " + _TERMINATION,
        "7. Governing Law and Jurisdiction. This Agreement will be governed and construed under the laws of the "
        "State of California without regard to choice of law principles, and the UN Convention on Contracts "
        "for the International Sale of Goods does not apply to this Agreement.",
    )


LLAMA_3_1 = llama_community("3.1", "Llama 3.1 Version Release Date: July 23, 2024")
LLAMA_3_2 = llama_community("3.2", "Llama 3.2 Version Release Date: September 25, 2024")
LLAMA_3_3 = llama_community("3.3", "Llama 3.3 Version Release Date: December 6, 2024")
LLAMA_4 = llama_community("4", "Llama 4 Version Effective Date: April 5, 2025")

# --- Google Gemma Terms of Use ---------------------------------------------------------------


def gemma_terms(last_modified: str, *, identified: str, latest_version_duty: bool, gemma4_pointer: bool) -> str:
    return _doc(
        f"Gemma Terms of Use\n\nLast modified: {last_modified}",
        "By using, reproducing, modifying, distributing, performing or displaying any portion or element of "
        "Gemma, Model Derivatives including via any Hosted Service, (each as defined below) (collectively, the "
        '"Gemma Services") or otherwise accepting the terms of this Agreement, you agree to be bound by this '
        "Agreement.",
        *(
            ["For Gemma 4 terms, see the Gemma 4 license (https://ai.google.dev/gemma/apache_2)."]
            if gemma4_pointer
            else []
        ),
        "Section 1: DEFINITIONS",
        '(b) "Distribution" or "Distribute" means any transmission, publication, or other sharing of Gemma or '
        "Model Derivatives to a third party, including by providing or making Gemma or its functionality "
        "available as a hosted service via API, web access, or any other electronic or remote means "
        '("Hosted Service").',
        '(c) "Gemma" means the set of machine learning language models, trained model weights and parameters '
        f"identified {identified}, regardless of the source that you obtained it from.",
        '(e) "Model Derivatives" means all (i) modifications to Gemma, (ii) works based on Gemma, or (iii) any '
        "other machine learning model which is created by transfer of patterns of the weights, parameters, "
        "operations, or Output of Gemma, to that model in order to cause that model to perform similarly to "
        "Gemma, including distillation methods that use intermediate data representations or methods based on "
        "the generation of synthetic data Outputs by Gemma for training that model. For clarity, Outputs are "
        "not deemed Model Derivatives.",
        "Section 3: DISTRIBUTION AND RESTRICTIONS",
        "3.1 Distribution and Redistribution",
        "You may reproduce or Distribute copies of Gemma or Model Derivatives if you meet all of the following "
        "conditions:",
        "You must include the use restrictions referenced in Section 3.2 as an enforceable provision in any "
        "agreement (e.g., license agreement, terms of use, etc.) governing the use and/or distribution of Gemma "
        "or Model Derivatives and you must provide notice to subsequent users you Distribute to that Gemma or "
        "Model Derivatives are subject to the use restrictions in Section 3.2.",
        "You must provide all third party recipients of Gemma or Model Derivatives a copy of this Agreement.",
        "You must cause any modified files to carry prominent notices stating that you modified the files.",
        'All Distributions (other than through a Hosted Service) must be accompanied by a "Notice" text file '
        'that contains the following notice: "Gemma is provided under and subject to the Gemma Terms of Use '
        'found at ai.google.dev/gemma/terms".',
        "3.3 Generated Output",
        "Google claims no rights in Outputs you generate using Gemma. You and your users are solely responsible "
        "for Outputs and their subsequent uses.",
        "Section 4: ADDITIONAL PROVISIONS",
        "4.1 Updates",
        "Google may update Gemma from time to time"
        + (
            ", and you must make reasonable efforts to use the latest version of Gemma." if latest_version_duty else "."
        ),
        "4.4 " + _WARRANTY,
        "4.5 " + _TERMINATION,
        "4.6 Governing Law and Jurisdiction. This Agreement will be governed by the laws of the State of "
        "California without regard to choice of law principles.",
    )


GEMMA_2024_02_21 = gemma_terms(
    "February 21, 2024", identified="at ai.google.dev/gemma", latest_version_duty=True, gemma4_pointer=False
)
GEMMA_2024_04_01 = gemma_terms(
    "April 1, 2024", identified="at ai.google.dev/gemma", latest_version_duty=False, gemma4_pointer=False
)
GEMMA_2025_03_24 = gemma_terms(
    "March 24, 2025", identified="in the Appendix", latest_version_duty=False, gemma4_pointer=False
)
GEMMA_2026_04_01 = gemma_terms(
    "April 1, 2026", identified="in the Appendix", latest_version_duty=False, gemma4_pointer=True
)

# --- Alibaba Qwen / Tongyi Qianwen ---------------------------------------------------------------


def alibaba(name: str, release_line: str, *, research: bool, outputs_clause: str, threshold: bool) -> str:
    agreement = f"{name} {'RESEARCH ' if research else ''}LICENSE AGREEMENT"
    grant_tail = " FOR NON-COMMERCIAL PURPOSES ONLY." if research else "."
    return _doc(
        agreement,
        release_line,
        f"By clicking to agree or by using or distributing any portion or element of the {name} Materials, you "
        "will be deemed to have recognized and accepted the content of this Agreement, which is effective "
        "immediately.",
        "1. Definitions",
        f'a. This {agreement} (this "Agreement") shall mean the terms and conditions for use, reproduction, '
        "distribution and modification of the Materials as defined by this Agreement.",
        'b. "We" (or "Us") shall mean Alibaba Cloud.',
        'c. "You" (or "Your") shall mean a natural person or legal entity exercising the rights granted by this '
        "Agreement and/or using the Materials for any purpose and in any field of use.",
        *(['h. "Non-Commercial" shall mean for research or evaluation purposes only.'] if research else []),
        "2. Grant of Rights",
        "a. You are granted a non-exclusive, worldwide, non-transferable and royalty-free limited license under "
        "Alibaba Cloud's intellectual property or other rights owned by Us embodied in the Materials to use, "
        "reproduce, distribute, copy, create derivative works of, and make modifications to the Materials" + grant_tail,
        *(["b. If you are commercially using the Materials, you shall request a license from Us."] if research else []),
        "3. Redistribution",
        "You may reproduce and distribute copies of the Materials or derivative works thereof in any medium, "
        "with or without modifications, provided that you meet the following conditions:",
        "a. You shall give any other recipients of the Materials or derivative works a copy of this Agreement;",
        "b. You shall cause any modified files to carry prominent notices stating that you changed the files;",
        "c. You shall retain in all copies of the Materials that you distribute the following attribution "
        f'notices within a "Notice" text file distributed as a part of such copies: "{name} is licensed under '
        f'the {agreement}, Copyright (c) Alibaba Cloud. All Rights Reserved."; and',
        *(
            [
                "4. Restrictions",
                "If you are commercially using the Materials, and your product or service has more than 100 "
                "million monthly active users, You shall request a license from Us. You cannot exercise your "
                "rights under this Agreement without our express authorization.",
            ]
            if threshold
            else []
        ),
        "5. Rules of use",
        "a. The Materials may be subject to export controls or restrictions in China, the United States or "
        "other countries or regions. You shall comply with applicable laws and regulations in your use of the "
        "Materials.",
        "b. " + outputs_clause,
        "6. Intellectual Property",
        "a. We retain ownership of all intellectual property rights in and to the Materials and derivatives "
        "made by or for Us.",
        "7. " + _WARRANTY,
        "8. " + _TERMINATION,
        "9. Governing Law and Jurisdiction. This Agreement and any dispute arising out of or relating to it "
        "will be governed by the laws of China, without regard to conflict of law principles, and the People's "
        "Courts in Hangzhou City shall have exclusive jurisdiction over any dispute arising out of this Agreement.",
    )


_QWEN_OUTPUTS = (
    "If you use the Materials or any outputs or results therefrom to create, train, fine-tune, or improve an "
    "AI model that is distributed or made available, you shall prominently display “Built with Qwen” or "
    "“Improved using Qwen” in the related product documentation."
)
_TONGYI_OUTPUTS = (
    "You can not use the Materials or any output therefrom to improve any other large language model "
    "(excluding Tongyi Qianwen or derivative works thereof)."
)
QWEN = alibaba(
    "Qwen",
    "Qwen LICENSE AGREEMENT Release Date: September 19, 2024",
    research=False,
    outputs_clause=_QWEN_OUTPUTS,
    threshold=True,
)
QWEN_RESEARCH = alibaba(
    "Qwen",
    "Qwen RESEARCH LICENSE AGREEMENT Release Date: September 19, 2024",
    research=True,
    outputs_clause=_QWEN_OUTPUTS,
    threshold=False,
)
TONGYI_QIANWEN = alibaba(
    "Tongyi Qianwen",
    "Tongyi Qianwen Release Date: August 3, 2023",
    research=False,
    outputs_clause=_TONGYI_OUTPUTS,
    threshold=True,
)
TONGYI_QIANWEN_RESEARCH = alibaba(
    "Tongyi Qianwen",
    "Tongyi Qianwen Release Date: November 30, 2023",
    research=True,
    outputs_clause=_TONGYI_OUTPUTS,
    threshold=False,
)

# --- DeepSeek ----------------------------------------------------------------------------------

DEEPSEEK = _doc(
    "DEEPSEEK LICENSE AGREEMENT",
    "Version 1.0, 23 October 2023",
    "Copyright (c) 2023 DeepSeek",
    "Section I: PREAMBLE",
    "Large generative models are being widely adopted and used, and have the potential to transform the way "
    "individuals conceive and benefit from AI or ML technologies.",
    "Notwithstanding the current and potential benefits that these artifacts can bring to society at large, "
    "there are also concerns about potential misuses of them, either due to their technical limitations or "
    "ethical considerations.",
    '"Derivatives of the Model" means all modifications to the Model, works based on the Model, or any other '
    "model which is created or initialized by transfer of patterns of the weights, parameters, activations or "
    "output of the Model, to the other model, in order to cause the other model to perform similarly to the "
    "Model, including - but not limited to - distillation methods entailing the use of intermediate data "
    "representations or methods based on the generation of synthetic data by the Model for training the other "
    "model.",
    "Section III: CONDITIONS OF USAGE, DISTRIBUTION AND REDISTRIBUTION",
    "4. Distribution and Redistribution. You may host for Third Party remote access purposes (e.g. "
    "software-as-a-service), reproduce and distribute copies of the Model or Derivatives of the Model thereof "
    "in any medium, with or without modifications, provided that you meet the following conditions:",
    "a. Use-based restrictions as referenced in paragraph 5 MUST be included as an enforceable provision by You "
    "in any type of legal agreement (e.g. a license) governing the use and/or distribution of the Model or "
    "Derivatives of the Model, and You shall give notice to subsequent users You Distribute to, that the Model "
    "or Derivatives of the Model are subject to paragraph 5.",
    "6. The Output You Generate. Except as set forth herein, DeepSeek claims no rights in the Output You "
    "generate using the Model. You are accountable for the Output you generate and its subsequent uses. No use "
    "of the output can contravene any provision as stated in the License.",
    "Section IV: OTHER PROVISIONS",
    "7. Updates and Runtime Restrictions. To the maximum extent permitted by law, DeepSeek reserves the right "
    "to restrict (remotely or otherwise) usage of the Model in violation of this License.",
    "9. " + _WARRANTY,
    "14. Governing Law and Jurisdiction. This agreement will be governed and construed under PRC laws without "
    "regard to choice of law principles, and the UN Convention on Contracts for the International Sale of "
    "Goods does not apply to this agreement. The courts located in the domicile of Hangzhou DeepSeek Artificial "
    "Intelligence Fundamental Technology Research Co., Ltd. shall have exclusive jurisdiction on any dispute "
    "arising out of this agreement.",
)

# --- Mistral AI -----------------------------------------------------------------------------------

MRL = _doc(
    "# Mistral AI Research License",
    "If You want to use a Mistral Model, a Derivative or an Output for any purpose that is not expressly "
    "authorized under this Agreement, You must request a license from Mistral AI, which Mistral AI may grant "
    "to You in Mistral AI's sole discretion.",
    "## 1. Scope and acceptance",
    "**1.1. Scope of the Agreement.** This Agreement applies to any use, modification, or Distribution of any "
    "Mistral Model by You, regardless of the source You obtained a copy of such Mistral Model.",
    "## 2. License",
    "**2.2. Distribution of Mistral Model and Derivatives made by or for Mistral AI.** You must retain in all "
    'copies of the Mistral Models the following attribution notice within a "Notice" text file distributed as '
    'part of such copies: "Licensed by Mistral AI under the Mistral AI Research License".',
    "## 3. Limitations",
    "**3.2. Usage Limitation.** You shall only use the Mistral Models, Derivatives (whether or not created by "
    "Mistral AI) and Outputs for Research Purposes.",
    "## 4. Intellectual Property",
    "**4.2. Outputs.** Mistral AI claims no ownership rights in and to the Outputs. You are solely responsible "
    "for the Outputs You generate and their subsequent uses in accordance with this Agreement. Any Outputs "
    "shall be subject to the restrictions set out in Section 3 of this Agreement.",
    "## 5. Liability\n\n" + _LIABILITY,
    "## 9. Definitions",
    '"Research Purposes": means any use of a Mistral Model, Derivative, or Output that is solely for (a) '
    "personal, scientific or academic research, and (b) for non-profit and non-commercial purposes, and not "
    "directly or indirectly connected to any commercial activities or business operations. For illustration "
    "purposes, Research Purposes does not include (1) any usage of the Mistral Model, Derivative or Output by "
    "individuals or contractors employed in or engaged by companies in the context of (a) their daily tasks, "
    "or (b) any activity (including but not limited to any testing or proof-of-concept) that is intended to "
    "generate revenue, nor (2) any Distribution by a commercial entity of the Mistral Model, Derivative or "
    "Output whether in return for payment or free of charge, in any medium or form, including but not limited "
    "to through a hosted or managed service (e.g. SaaS, cloud instances, etc.), or behind a software layer.",
)

MNPL = _doc(
    "# Mistral AI Non-Production License",
    "## 1. Scope and acceptance",
    "**1.1. Scope of the Agreement.** This Agreement applies to any use, modification, or Distribution of any "
    "Mistral Model by You, regardless of the source You obtained a copy of such Mistral Model.",
    "## 2. License",
    "**2.2. Distribution of Mistral Model and Derivatives made by or for Mistral AI.** You must retain in all "
    'copies of the Mistral Models the following attribution notice within a "Notice" text file distributed as '
    'part of such copies: "Licensed by Mistral AI under the Mistral AI Non-Production License".',
    "## 3. Limitations",
    "**3.2. Usage Limitation.** You shall only use the Mistral Models and Derivatives (whether or not created "
    "by Mistral AI) for testing, research, Personal, or evaluation purposes in Non-Production Environments; "
    "Subject to the foregoing, You shall not supply the Mistral Models or Derivatives in the course of a "
    "commercial activity, whether in return for payment or free of charge, in any medium or form, including "
    "but not limited to through a hosted or managed service (e.g. SaaS, cloud instances, etc.), or behind a "
    "software layer.",
    "## 4. Intellectual Property",
    "**4.2. Outputs.** Mistral AI claims no ownership rights in and to the Outputs. You are solely responsible "
    "for the Outputs You generate and their subsequent uses in accordance with this Agreement. Outputs are not "
    "considered as Derivatives under this Agreement.",
    "## 9. Definitions",
    '"Non-Production Environment": means any setting, use case, or application of the Mistral Models or '
    "Derivatives that expressly excludes live, real-world conditions, commercial operations, revenue-generating "
    "activities, or direct interactions with or impacts on end users (such as, for instance, Your employees or "
    "customers). Non-Production Environment may include, but is not limited to, any setting, use case, or "
    "application for research, development, testing, quality assurance, training, internal evaluation (other "
    "than any internal usage by employees in the context of the company's business activities), and "
    "demonstration purposes.",
)

# --- Creative Commons 4.0 --------------------------------------------------------------------------


def creative_commons(elements: str, *, non_commercial: bool, share_alike: str | None) -> str:
    name = f"Creative Commons {elements} 4.0 International Public License"
    nc = ", for NonCommercial purposes only" if non_commercial else ""
    paragraphs = [
        f"Attribution{'-NonCommercial' if non_commercial else ''}"
        f"{'-ShareAlike' if share_alike else ''} 4.0 International",
        name,
        "By exercising the Licensed Rights (defined below), You accept and agree to be bound by the terms and "
        f'conditions of this {name} ("Public License"). To the extent this Public License may be interpreted '
        "as a contract, You are granted the Licensed Rights in consideration of Your acceptance of these terms "
        "and conditions, and the Licensor grants You such rights in consideration of benefits the Licensor "
        "receives from making the Licensed Material available under these terms and conditions.",
        "Section 1 – Definitions.",
        "a. Adapted Material means material subject to Copyright and Similar Rights that is derived from or "
        "based upon the Licensed Material and in which the Licensed Material is translated, altered, arranged, "
        "transformed, or otherwise modified in a manner requiring permission under the Copyright and Similar "
        "Rights held by the Licensor.",
    ]
    if share_alike:
        paragraphs.append(
            f"c. {share_alike} Compatible License means a license listed at "
            "creativecommons.org/compatiblelicenses, approved by Creative Commons as essentially the equivalent "
            "of this Public License."
        )
    if non_commercial:
        paragraphs.append(
            "i. NonCommercial means not primarily intended for or directed towards commercial advantage or "
            "monetary compensation. For purposes of this Public License, the exchange of the Licensed Material "
            "for other material subject to Copyright and Similar Rights by digital file-sharing or similar means "
            "is NonCommercial provided there is no payment of monetary compensation in connection with the "
            "exchange."
        )
    paragraphs += [
        "Section 2 – Scope.",
        "a. License grant.",
        "1. Subject to the terms and conditions of this Public License, the Licensor hereby grants You a "
        "worldwide, royalty-free, non-sublicensable, non-exclusive, irrevocable license to exercise the "
        "Licensed Rights in the Licensed Material to:",
        f"A. reproduce and Share the Licensed Material, in whole or in part{nc}; and",
        f"B. produce, reproduce, and Share Adapted Material{nc}.",
        "Section 3 – License Conditions.",
        "Your exercise of the Licensed Rights is expressly made subject to the following conditions.",
        "a. Attribution.",
        "1. If You Share the Licensed Material (including in modified form), You must:",
        "A. retain the following if it is supplied by the Licensor with the Licensed Material: identification "
        "of the creator(s) of the Licensed Material and any others designated to receive attribution; a "
        "copyright notice; a notice that refers to this Public License; a notice that refers to the disclaimer "
        "of warranties; a URI or hyperlink to the Licensed Material to the extent reasonably practicable;",
        "B. indicate if You modified the Licensed Material and retain an indication of any previous modifications; and",
        "C. indicate the Licensed Material is licensed under this Public License, and include the text of, or "
        "the URI or hyperlink to, this Public License.",
    ]
    if share_alike:
        paragraphs += [
            "b. ShareAlike.",
            "1. The Adapter's License You apply must be a Creative Commons license with the same License "
            f"Elements, this version or later, or a {share_alike} Compatible License.",
        ]
    paragraphs += [
        "Section 5 – Disclaimer of Warranties and Limitation of Liability.",
        "a. Unless otherwise separately undertaken by the Licensor, to the extent possible, the Licensor offers "
        "the Licensed Material as-is and as-available, and makes no representations or warranties of any kind "
        "concerning the Licensed Material, whether express, implied, statutory, or other.",
    ]
    return _doc(*paragraphs)


CC_BY_4 = creative_commons("Attribution", non_commercial=False, share_alike=None)
CC_BY_NC_4 = creative_commons("Attribution-NonCommercial", non_commercial=True, share_alike=None)
CC_BY_SA_4 = creative_commons("Attribution-ShareAlike", non_commercial=False, share_alike="BY-SA")
CC_BY_NC_SA_4 = creative_commons("Attribution-NonCommercial-ShareAlike", non_commercial=True, share_alike="BY-NC-SA")

# --- Responsible AI licenses (RAIL / OpenRAIL) ----------------------------------------------------

_RAIL_PREAMBLE_ART = (
    "Multimodal generative models are being widely adopted and used, and have the potential to transform the "
    "way artists, among other individuals, conceive and benefit from AI or ML technologies as a tool for "
    "content creation."
)
_RAIL_CONCERNS = (
    "Notwithstanding the current and potential benefits that these artifacts can bring to society at large, "
    "there are also concerns about potential misuses of them, either due to their technical limitations or "
    "ethical considerations."
)
_RAIL_ART_RESEARCH = (
    "In short, this license strives for both the open and responsible downstream use of the accompanying "
    "model. When it comes to the open character, we took inspiration from open source permissive licenses "
    "regarding the grant of IP rights. Referring to the downstream responsible use, we added use-based "
    "restrictions not permitting the use of the Model in very specific scenarios, in order for the licensor to "
    "be able to enforce the license in case potential misuses of the Model may occur. At the same time, we "
    "strive to promote open and responsible research on generative models for art and content generation."
)
_RAIL_HOSTING = (
    "4. Distribution and Redistribution. You may host for Third Party remote access purposes (e.g. "
    "software-as-a-service), reproduce and distribute copies of the Model or Derivatives of the Model thereof "
    "in any medium, with or without modifications, provided that You meet the following conditions:"
)
_RAIL_OUTPUT = (
    "6. The Output You Generate. Except as set forth herein, Licensor claims no rights in the Output You "
    "generate using the Model. You are accountable for the Output you generate and its subsequent uses. No use "
    "of the output can contravene any provision as stated in the License."
)
_RAIL_DERIVATIVES = (
    '"Derivatives of the Model" means all modifications to the Model, works based on the Model, or any other '
    "model which is created or initialized by transfer of patterns of the weights, parameters, activations or "
    "output of the Model, to the other model, in order to cause the other model to perform similarly to the "
    "Model, including - but not limited to - distillation methods entailing the use of intermediate data "
    "representations or methods based on the generation of synthetic data by the Model for training the other "
    "model."
)

CREATIVEML_OPENRAIL_M = _doc(
    "CreativeML Open RAIL-M\ndated August 22, 2022",
    "Section I: PREAMBLE",
    _RAIL_PREAMBLE_ART,
    _RAIL_CONCERNS,
    _RAIL_ART_RESEARCH,
    "This License governs the use of the model (and its derivatives) and is informed by the model card "
    "associated with the model.",
    _RAIL_DERIVATIVES,
    _RAIL_HOSTING,
    _RAIL_OUTPUT,
    "7. Updates and Runtime Restrictions. To the maximum extent permitted by law, Licensor reserves the right "
    "to restrict (remotely or otherwise) usage of the Model in violation of this License, update the Model "
    "through electronic means, or modify the Output of the Model based on updates. You shall undertake "
    "reasonable efforts to use the latest version of the Model.",
    "9. " + _WARRANTY,
)

CREATIVEML_OPENRAIL_PLUSPLUS_M = _doc(
    "CreativeML Open RAIL++-M License\ndated July 26, 2023",
    "Copyright (c) 2023 Stability AI",
    "Section I: PREAMBLE",
    _RAIL_PREAMBLE_ART,
    _RAIL_CONCERNS,
    _RAIL_ART_RESEARCH,
    _RAIL_DERIVATIVES,
    _RAIL_HOSTING,
    _RAIL_OUTPUT,
    "7. Updates and Runtime Restrictions. To the maximum extent permitted by law, Licensor reserves the right "
    "to restrict (remotely or otherwise) usage of the Model in violation of this License.",
    "9. " + _WARRANTY,
)

BIGSCIENCE_OPENRAIL_M = _doc(
    "BigScience Open RAIL-M License\ndated August 18, 2022",
    "Section I: PREAMBLE",
    "This Open RAIL-M License was created by BigScience, a collaborative open innovation project aimed at the "
    'responsible development and use of large multilingual datasets and Large Language Models ("LLMs"). While '
    "a similar license was originally designed for the BLOOM model, we decided to adapt it and make it "
    "applicable to other machine learning based AI models (e.g. multimodal generative models).",
    _RAIL_CONCERNS,
    _RAIL_DERIVATIVES,
    _RAIL_HOSTING,
    _RAIL_OUTPUT,
    "Attachment A — Use Restrictions. You agree not to use the Model or Derivatives of the Model:",
    "- To impersonate or attempt to impersonate (e.g. deepfakes) others without their consent;",
    "- To generate or disseminate information (and/or content) and place the information and/or content in any "
    "context (e.g. bot generating tweets) without expressly and intelligibly disclaiming that the information "
    "and/or content is machine generated;",
    "- To defame, disparage or otherwise harass others;",
)

BIGCODE_OPENRAIL_M = _doc(
    "BigCode Open RAIL-M v1 License Agreement",
    "Section I: PREAMBLE",
    "This OpenRAIL-M License Agreement was created under BigCode, an open and collaborative research project "
    "aimed at the responsible development and use of Large Language Models (“LLMs”) for code generation.",
    "This license is generally applicable to any machine-learning Model. Compliance with the restrictions in "
    "Attachment A is a condition to the grants in this License Agreement.",
    _RAIL_HOSTING,
    "b. You must cause any modified files to carry prominent notices stating that You changed the files, and "
    "add Explanatory Documentation of the same or better quality documenting the changes made to create the "
    "Derivative of the Model;",
    "Attachment A — Use Restrictions. You agree not to use the Model or Derivatives of the Model:",
    "- To generate and/or disseminate malware (including - but not limited to - ransomware) or any other content "
    "to be used for the purpose of Harming electronic systems;",
    "- To provide medical advice or medical results interpretation that is intended to be a substitute for "
    "professional medical advice, diagnosis, or treatment;",
    "9. " + _WARRANTY,
)

BLOOM_RAIL = _doc(
    "BigScience RAIL License v1.0\ndated May 19, 2022",
    "This is a license (the “License”) between you (“You”) and the participants of BigScience (“Licensor”). "
    "Whereas the Apache 2.0 license was applicable to resources used to develop the Model, the licensing "
    "conditions have been modified for the access and distribution of the Model.",
    "This License governs the use of the BigScience BLOOM models (and their derivatives) and is informed by both "
    "the BigScience Ethical Charter and the model cards associated with the BigScience BLOOM models.",
    '"Model" means the Complementary Material, corresponding to the BigScience BLOOM model architecture as '
    "embodied in the Complementary Material, that have been trained or tuned, in whole or in part, on the "
    "Data using the Complementary Material.",
    _RAIL_HOSTING,
    "Attachment A — Use Restrictions. You agree not to use the Model or Derivatives of the Model:",
    "- To generate or disseminate machine generated text or content in any medium without expressly and "
    "intelligibly disclaiming that the text is machine generated;",
    "9. " + _WARRANTY,
)

# --- Technology Innovation Institute (Falcon) --------------------------------------------------------

FALCON_180B = _doc(
    "FALCON 180B TII LICENSE VERSION 1.0",
    "September 2023",
    "This license is, in part, based on the Apache License Version 2.0 (available at "
    "http://www.apache.org/licenses/), with a series of modifications. Use of Falcon180B for hosted services "
    "may require a separate license.",
    "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION",
    '1. Definitions. "License" shall mean the terms and conditions for use, reproduction, and distribution as '
    "defined by Sections 1 to 12 of this document.",
    "6. Publication. In any public statement about a Derivative Work you shall include the following: "
    "[name of relevant Derivative Work] is built using Falcon LLM technology from the Technology Innovation "
    "Institute.",
    "8. You agree to include the hosting-based restrictions as set out in Section 8 of this license in any "
    "agreement governing the use of the Work.",
    "9.3 Unless you apply for and receive a separate licence, you are not licensed to use the Work or "
    "Derivative Work under this license for Hosting Use.",
    "APPENDIX: How to apply the Falcon 180B TII License to your work.",
    'Licensed under the Falcon 180B TII License, Version 1.0 (the "License"); you may not use this file '
    "except in compliance with the License.",
)

FALCON_2_11B = _doc(
    "Falcon 2 11B TII License Version 1.0",
    "May 2024",
    "This license applies to the 11 billion parameter Falcon large language models (both the VL and non-VL "
    "variants) made available by the Technology Innovation Institute.",
    '1. Definitions. "License" shall mean the terms and conditions for use, reproduction, and distribution as '
    "defined by Sections 1 to 11 of this document.",
    "6. Publication. In any public statement about a Derivative Work you shall include the following: "
    "[name of relevant Derivative Work] is built using Falcon LLM technology from the Technology Innovation "
    "Institute.",
    "APPENDIX: To apply the Falcon 2 11B TII License to your work, attach the following notice.",
    'Licensed under the Falcon 2 11B TII License, Version 1.0 (the "License"); you may not use this file '
    "except in compliance with the License.",
)

TII_FALCON = _doc(
    "TII Falcon License",
    "December 2024",
    '"Relevant Models" shall mean those artificial intelligence models to which this license has been applied, '
    "which in relation to the initial release of each Relevant Model is in Object form only.",
    '1. Definitions. "License" shall mean the terms and conditions for use, reproduction, and distribution as '
    "defined by Sections 1 to 11 of this document.",
    "6. Publication. In any public statement about a Derivative Work you shall include the following: "
    "[name of relevant Derivative Work] is built using artificial intelligence technology from the Technology "
    "Innovation Institute.",
    "APPENDIX: To apply the TII Falcon License to your work, attach the following notice.",
    'Licensed under the TII Falcon License (the "License"); you may not use this file except in compliance with '
    "the License.",
)

# --- Stability AI, NVIDIA ------------------------------------------------------------------------------

STABILITY_COMMUNITY = _doc(
    "STABILITY AI COMMUNITY LICENSE AGREEMENT",
    "Last Updated: July 5, 2024",
    "I. INTRODUCTION",
    "This Agreement applies to any individual person or entity (“You”, “Your” or “Licensee”) that uses or "
    "distributes any portion or element of the Stability AI Materials or Derivative Works thereof for any "
    "Research & Non-Commercial or Commercial purpose.",
    "This Agreement is intended to allow research, non-commercial, and limited commercial uses of the Models "
    "free of charge. In order to ensure that certain limited commercial uses of the Models continue to be "
    "allowed, this Agreement preserves free access to the Models for people or organizations generating annual "
    "revenue of less than US $1,000,000 (or local currency equivalent).",
    "III. COMMERCIAL USE AGREEMENT",
    "If at any time You or Your Affiliate(s), either individually or in aggregate, generate more than USD "
    "$1,000,000 in annual revenue (or the equivalent thereof in Your local currency), regardless of whether "
    "that revenue is generated directly or indirectly from the Stability AI Materials or Derivative Works, any "
    "licenses granted to You under this Agreement shall terminate as of such date.",
    "If you receive Stability AI Materials, or any Derivative Works thereof, from a Licensee as part of an "
    "integrated end user product, then Section III of this Agreement will not apply to you.",
    "IV. GENERAL TERMS",
    "a. Distribution & Attribution. You must retain in all copies a “Notice” text file with the following "
    "notice: “This Stability AI Model is licensed under the Stability AI Community License, Copyright © "
    "Stability AI Ltd. All Rights Reserved”.",
    "b. Use Restrictions. You will not use the Stability AI Materials or Derivative Works, or any output or "
    "results of the Stability AI Materials or Derivative Works, to create or improve any foundational "
    "generative AI model (excluding the Models or Derivative Works).",
    "c. " + _WARRANTY,
)


def nvidia_open_model(*, last_modified: str | None, release: str) -> str:
    return _doc(
        "NVIDIA Open Model License Agreement",
        *([f"Last Modified: {last_modified}"] if last_modified else []),
        f"Version Release Date: {release}",
        "This NVIDIA Open Model License Agreement (the “Agreement”) is a legal agreement between the Legal "
        "Entity You represent, or if no entity is identified, You and NVIDIA Corporation and its Affiliates "
        "(“NVIDIA”) and governs Your use of the Models that NVIDIA provides to You under this Agreement.",
        "NVIDIA models released under this Agreement are intended to be used permissively and enable the "
        "further development of AI technologies. Subject to the terms of this Agreement, NVIDIA confirms that: "
        "Models are commercially usable. You are free to create and distribute Derivative Models. NVIDIA does "
        "not claim ownership to any outputs generated using the Models or Model Derivatives.",
        "2.1 Conditions for Use. If You bypass, disable, reduce the efficacy of, or circumvent any technical "
        "limitation, safety guardrail or associated safety guardrail hyperparameter, encryption, security, "
        "digital rights management, or authentication mechanism contained in the Model, your rights under this "
        "Agreement will automatically terminate.",
        "3. Redistribution. You must include the following attribution notice within a “Notice” text file: "
        "“Licensed by NVIDIA Corporation under the NVIDIA Open Model License”; and if You distribute or make "
        "available a Cosmos Model, you will include Built on NVIDIA Cosmos on a related website, user "
        "interface, blogpost, about page, or product documentation.",
        "4. " + _LIABILITY,
    )


NVIDIA_2025_01_06 = nvidia_open_model(last_modified=None, release="January 6, 2025")
NVIDIA_2025_04_28 = nvidia_open_model(last_modified="April 28, 2025", release="April 28, 2025")

# --- 01.AI Yi, AI2 ImpACT, OpenMDW ------------------------------------------------------------------------


def yi_license(*, community: bool) -> str:
    agreement = "Yi Series Models Community License Agreement" if community else "Yi Series Models License Agreement"
    use = (
        "If you plan to use the Yi Series Models and Derivatives for Commercial Purposes, you should contact the "
        "Licensor in advance as specified in Section 7 of this Agreement and send the Registration Form to "
        "yi@01.ai; upon receipt you are granted a commercial license free of charge."
        if community
        else "You may only use the Yi Series Models for non-Commercial Purposes. If you intend to use the Yi Series "
        "Models for Commercial Purposes, you should contact the Licensor in advance as specified in Section 7 of "
        "this Agreement, and obtain the written authorization from the Licensor."
    )
    return _doc(
        agreement,
        "Version: 2.1" if community else "Version: 1.0",
        "Date of Release: November 23, 2023" if community else "Date of Release: November 1, 2023",
        "1. Definitions",
        f"“Agreement” refers to the terms and conditions defined in this {agreement} for the use, reproduction "
        "and distribution of Yi Series Models.",
        "“Licensor” refers to Beijing Lingyiwanwu Information Technology Co., Ltd. and its affiliates.",
        "“Derivatives” refers to all modifications to Yi Series Models, works based on Yi Series Models, or any "
        "other models created or initialized by transferring the weights, parameters, activations, or output "
        "patterns of Yi Series Models, including but not limited to methods such as distillation and generating "
        "synthetic data based on Yi Series Models to train other models.",
        "2. License and License Restrictions",
        use,
        "3. " + _WARRANTY,
        "4. Governing Law. This Agreement is governed by the laws of the People's Republic of China (excluding "
        "Hong Kong, Macau and Taiwan), and disputes shall be submitted to the People's Court at the Licensor's "
        "location.",
    )


YI_1_0 = yi_license(community=False)
YI_COMMUNITY_2_1 = yi_license(community=True)

AI2_IMPACT_LR = _doc(
    "AI2 ImpACT License for Low Risk Artifacts (“LR Agreement”)",
    "Version 2.0 - Effective Date: January 8, 2024",
    "This AI2 ImpACT License for Low Risk Artifacts (the “LR Agreement”) is between The Allen Institute for "
    "Artificial Intelligence (“AI2”) and any individual or entity who purchases, uses, or otherwise accesses "
    "the Artifacts.",
    "By clicking accept you represent that you have the full legal right, power, and authority to enter into "
    "this LR Agreement on behalf of yourself or the entity you represent.",
    "1.1 “Artifacts” means the Data, Models, and subsequent versions thereof that are licensed by AI2 pursuant "
    "to this LR Agreement, excluding Code.",
    "2. " + _WARRANTY,
    "3. " + _SEVERABILITY,
)

OPENMDW = _doc(
    "OpenMDW License Agreement, version 1.0 (OpenMDW-1.0)",
    "By exercising rights granted to you under this agreement, you accept and agree to its terms.",
    "As used in this agreement, “Model Materials” means the materials provided to you under this agreement, "
    "consisting of one or more machine learning models and related materials.",
    "Subject to your compliance with this agreement, permission is hereby granted, free of charge, to deal in "
    "the Model Materials without restriction, including under all copyright, patent, database, and trade "
    "secret rights included or embodied therein.",
    "If you distribute any portion of the Model Materials, you shall retain in your distribution (1) a copy "
    "of this agreement, and (2) all copyright notices and other notices of origin included in the Model "
    "Materials that are applicable to your distribution.",
    "This agreement does not impose any restrictions or obligations with respect to any use, modification, or "
    "sharing of any outputs generated by using the Model Materials.",
    "THE MODEL MATERIALS ARE PROVIDED “AS IS”, WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED.",
)

# --- Negative examples ------------------------------------------------------------------------------

README = """# tiny-llama

A two-shard model small enough for a unit test. It was fine-tuned from acme/tiny-base on a
handful of synthetic conversations.

## Usage

```python
from transformers import AutoModelForCausalLM
model = AutoModelForCausalLM.from_pretrained("acme/tiny-llama")
```

## License

See the LICENSE file. Questions go to the maintainers at https://acme.example/contact.
"""

# The SPDX BSD-4-Clause template: BSD-3's clauses plus the advertising clause, which no
# reviewed catalog file describes.
BSD_4_CLAUSE = """Copyright (c) 1998, Example University. All rights reserved.

Redistribution and use in source and binary forms, with or without modification, are permitted provided that
the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this list of conditions and the
following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice, this list of conditions and the
following disclaimer in the documentation and/or other materials provided with the distribution.

3. All advertising materials mentioning features or use of this software must display the following
acknowledgement: This product includes software developed by Example University.

4. Neither the name of the copyright holder nor the names its contributors may be used to endorse or promote
products derived from this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY COPYRIGHT HOLDER "AS IS" AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT
NOT LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE DISCLAIMED.
IN NO EVENT SHALL COPYRIGHT HOLDER BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR
CONSEQUENTIAL DAMAGES HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, ARISING IN ANY WAY OUT OF THE USE OF THIS
SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""

# The original 4-clause BSD license of the University of California, as still shipped by many
# projects: every BSD-3-Clause passage is in it, plus the advertising clause.
BSD_4_CLAUSE_UC = """Copyright (c) 1990, 1993 The Regents of the University of California. All rights reserved.

Redistribution and use in source and binary forms, with or without modification, are permitted provided that
the following conditions are met:
1. Redistributions of source code must retain the above copyright notice, this list of conditions and the
   following disclaimer.
2. Redistributions in binary form must reproduce the above copyright notice, this list of conditions and the
   following disclaimer in the documentation and/or other materials provided with the distribution.
3. All advertising materials mentioning features or use of this software must display the following
   acknowledgement: This product includes software developed by the University of California, Berkeley and
   its contributors.
4. Neither the name of the University nor the names of its contributors may be used to endorse or promote
   products derived from this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE REGENTS AND CONTRIBUTORS ``AS IS'' AND ANY EXPRESS OR IMPLIED WARRANTIES,
INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE
ARE DISCLAIMED. IN NO EVENT SHALL THE REGENTS OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL,
SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS
OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF
LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY
WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""

# The BSD-3-Clause layout of Go and many Google projects: continuation lines start with "copyright".
BSD_3_CLAUSE_GO_LAYOUT = """Copyright 2009 The Go Authors.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are
met:

   * Redistributions of source code must retain the above copyright
notice, this list of conditions and the following disclaimer.
   * Redistributions in binary form must reproduce the above
copyright notice, this list of conditions and the following disclaimer
in the documentation and/or other materials provided with the
distribution.
   * Neither the name of Google LLC nor the names of its
contributors may be used to endorse or promote products derived from
this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS
"AS IS" AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT
LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR
A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT
OWNER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL,
SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT
LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE,
DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY
THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT
(INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""

# license id -> (expected catalog version, text). The id's catalog file must exist for a case to run.
TEXTS: dict[str, tuple[str, str]] = {
    "MIT": ("", MIT),
    "Apache-2.0": ("2.0", APACHE_2),
    "LicenseRef-Llama-2": ("2", LLAMA_2),
    "LicenseRef-Llama-3": ("3", LLAMA_3),
    "LicenseRef-Llama-3.1": ("3.1", LLAMA_3_1),
    "LicenseRef-Llama-3.2": ("3.2", LLAMA_3_2),
    "LicenseRef-Llama-3.3": ("3.3", LLAMA_3_3),
    "LicenseRef-Llama-4": ("4", LLAMA_4),
    "LicenseRef-Gemma-2024-02-21": ("2024-02-21", GEMMA_2024_02_21),
    "LicenseRef-Gemma-2024-04-01": ("2024-04-01", GEMMA_2024_04_01),
    "LicenseRef-Gemma-2025-03-24": ("2025-03-24", GEMMA_2025_03_24),
    "LicenseRef-Gemma-2026-04-01": ("2026-04-01", GEMMA_2026_04_01),
    "LicenseRef-Qwen": ("2024-09-19", QWEN),
    "LicenseRef-Qwen-Research": ("2024-09-19", QWEN_RESEARCH),
    "LicenseRef-Tongyi-Qianwen": ("2023-08-03", TONGYI_QIANWEN),
    "LicenseRef-Tongyi-Qianwen-Research": ("2023-11-30", TONGYI_QIANWEN_RESEARCH),
    "LicenseRef-DeepSeek-1.0": ("1.0", DEEPSEEK),
    "LicenseRef-MRL-0.1": ("0.1", MRL),
    "LicenseRef-MNPL-0.1": ("0.1", MNPL),
    "CC-BY-4.0": ("4.0", CC_BY_4),
    "CC-BY-NC-4.0": ("4.0", CC_BY_NC_4),
    "CC-BY-SA-4.0": ("4.0", CC_BY_SA_4),
    "CC-BY-NC-SA-4.0": ("4.0", CC_BY_NC_SA_4),
    "LicenseRef-CreativeML-OpenRAIL-M": ("", CREATIVEML_OPENRAIL_M),
    "LicenseRef-CreativeML-OpenRAIL-PlusPlus-M": ("", CREATIVEML_OPENRAIL_PLUSPLUS_M),
    "LicenseRef-BigScience-OpenRAIL-M": ("", BIGSCIENCE_OPENRAIL_M),
    "LicenseRef-BigCode-OpenRAIL-M-v1": ("1", BIGCODE_OPENRAIL_M),
    "LicenseRef-BigScience-BLOOM-RAIL-1.0": ("1.0", BLOOM_RAIL),
    "LicenseRef-Falcon-180B-TII-1.0": ("1.0", FALCON_180B),
    "LicenseRef-Falcon-2-11B-TII-1.0": ("1.0", FALCON_2_11B),
    "LicenseRef-TII-Falcon-License-2024-12": ("December 2024", TII_FALCON),
    "LicenseRef-Stability-AI-Community-2024-07-05": ("", STABILITY_COMMUNITY),
    "LicenseRef-NVIDIA-Open-Model-License-2025-01-06": ("", NVIDIA_2025_01_06),
    "LicenseRef-NVIDIA-Open-Model-License-2025-04-28": ("", NVIDIA_2025_04_28),
    "LicenseRef-Yi-Series-Models-1.0": ("1.0", YI_1_0),
    "LicenseRef-Yi-Community-2.1": ("2.1", YI_COMMUNITY_2_1),
    "LicenseRef-AI2-ImpACT-LR": ("2.0", AI2_IMPACT_LR),
    "OpenMDW-1.0": ("1.0", OPENMDW),
}

# --- How repositories mangle a LICENSE file ------------------------------------------------------------

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_LIST_ITEM = re.compile(r"^\s*(\d+(\.\d+)*\.|[a-zA-Z]\.|[ivx]+\.|\([a-z0-9]+\)|[-*•])\s")
_QUOTED_TERM = re.compile(r"([“\"])([A-Z][^”\"\n]{1,40})([”\"])")
_URL = re.compile(r"(?<![(\[])\bhttps?://[^\s)\]]+[^\s).,;\]]")
_COPYRIGHT_NOTICE = re.compile(r"^\s*(copyright\b|\(c\)\s*\d{4}|©).*$\n?", re.IGNORECASE | re.MULTILINE)


def paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in _PARAGRAPH_BREAK.split(text) if p.strip()]


def rewrap(text: str, width: int) -> str:
    """Every paragraph re-filled to ``width`` columns (words are never split)."""
    return "\n\n".join(
        textwrap.fill(p, width=width, break_long_words=False, break_on_hyphens=False) for p in paragraphs(text)
    )


def one_line(text: str) -> str:
    """The whole text on one line, as an API field or a card's YAML value often carries it."""
    return " ".join(text.split())


def as_markdown(text: str) -> str:
    """A LICENSE.md rendering: title heading, section headings, bullets, bold terms, links."""
    out = []
    for index, plain in enumerate(paragraphs(text)):
        paragraph = _QUOTED_TERM.sub(r"**\1\2\3**", plain)
        paragraph = _URL.sub(lambda m: f"[{m.group(0)}]({m.group(0)})", paragraph)
        paragraph = paragraph.replace(
            "ai.google.dev/gemma/terms", "[ai.google.dev/gemma/terms](https://ai.google.dev/gemma/terms)"
        )
        if index == 0:
            out.append("# " + paragraph)
        elif _LIST_ITEM.match(paragraph):
            out.append("- " + paragraph)
        elif len(paragraph) < 70 and not paragraph.endswith("."):
            out.append("## " + paragraph)
        else:
            out.append(f"_{paragraph}_" if index % 3 == 0 else paragraph)
    return "\n\n".join(out) + "\n"


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def other_copyright(text: str) -> str:
    """Another holder and years: the notice every licensee rewrites."""
    body = _COPYRIGHT_NOTICE.sub("", text)
    return (
        "Copyright (c) 2019-2025 Example Holdings, Inc. and its affiliates\n"
        "Copyright © 2024 Jane Doe <jane@example.org>\n\n"
        + body
        + "\n(c) 2025 Another Contributor. All rights reserved.\n"
    )


def padded(text: str) -> str:
    """Byte-order mark, blank lines, indentation and trailing whitespace around the text."""
    lines = [("\t" if i % 4 == 0 else "   ") + line + "  " for i, line in enumerate(text.splitlines())]
    return "\ufeff\n\n \t \n" + "\n".join(lines) + "\n\n\n   \n\t"


def smart_quotes(text: str) -> str:
    text = re.sub(r'"([^"\n]*)"', r"“\1”", text)
    return text.replace("'", "’")


def straight_quotes(text: str) -> str:
    return text.translate(str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"}))


VARIANTS: dict[str, Callable[[str], str]] = {
    "as_published": lambda text: text,
    "wrapped_40": lambda text: rewrap(text, 40),
    "one_line": one_line,
    "markdown": as_markdown,
    "crlf": crlf,
    "other_copyright": other_copyright,
    "padded": padded,
    "smart_quotes": smart_quotes,
    "straight_quotes": straight_quotes,
}
